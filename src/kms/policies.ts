/** Key policies: stored and returned; enforcement comes later (see docs/compatibility.md). */
import { MalformedPolicyDocumentException, NotFoundException } from '../generated/kms.js';

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

/** A KMS key has one policy, and its name is always `default`. */
export const DEFAULT_POLICY_NAME = 'default';

export function assertDefaultPolicyName(name: string | undefined): void {
  if (name !== undefined && name !== DEFAULT_POLICY_NAME) {
    throw new NotFoundException(`No such policy exists: ${name}. The only valid policy name is "${DEFAULT_POLICY_NAME}".`);
  }
}
