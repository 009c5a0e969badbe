/** Key policies: stored and returned; enforcement comes later (see docs/compatibility.md). */
import { MalformedPolicyDocumentException } from '../generated/kms.js';

/** AWS rejects a policy that is not a JSON object with a Statement. */
export function validatePolicyDocument(policy: string): void {
  let doc: unknown;
  try {
    doc = JSON.parse(policy);
  } catch {
    throw new MalformedPolicyDocumentException('The new key policy will not allow you to update the key policy in the future.');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || !('Statement' in doc)) {
    throw new MalformedPolicyDocumentException('The new key policy will not allow you to update the key policy in the future.');
  }
}
