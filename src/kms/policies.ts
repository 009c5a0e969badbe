/** Key policies: stored and returned; enforcement comes later (see docs/compatibility.md). */
import { LimitExceededException, MalformedPolicyDocumentException, NotFoundException } from '../generated/kms.js';

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

/**
 * The key policy size quota (32 KB by default), counted in UTF-8 bytes. Exceeding a resource
 * quota is LimitExceededException (AWS's resource-quota rule); the text is kmsd's own.
 */
export function assertPolicySize(policy: string, maxBytes: number): void {
  if (Buffer.byteLength(policy, 'utf8') > maxBytes) {
    throw new LimitExceededException(`The key policy exceeds the quota of ${maxBytes} bytes.`);
  }
}

/** A KMS key has one policy, and its name is always `default`. */
export const DEFAULT_POLICY_NAME = 'default';

export function assertDefaultPolicyName(name: string | undefined): void {
  if (name !== undefined && name !== DEFAULT_POLICY_NAME) {
    throw new NotFoundException(`No such policy exists: ${name}. The only valid policy name is "${DEFAULT_POLICY_NAME}".`);
  }
}
