/**
 * Key policies: validated by the policy module (src/auth/policy) when CreateKey or
 * PutKeyPolicy sets one, checked against locking the caller out, and evaluated on every
 * request by src/kms/authorization.ts.
 */
import { LimitExceededException, MalformedPolicyDocumentException, NotFoundException } from '../generated/kms.js';
import { compilePolicy, MalformedPolicyError } from '../auth/policy/index.js';
import type { CompiledPolicy } from '../auth/policy/index.js';
import type { KmsContext } from './context.js';
import type { KeyRow } from './keys.js';
import { allowsFuturePutKeyPolicy } from './authorization.js';

/** A key policy's size quota (developer guide, resource-limits: 32 KB, not adjustable). */
export const KEY_POLICY_MAX_BYTES = 32 * 1024;

/** AWS's refusal of a policy that fails the lockout safety check (§4.1). */
export const LOCKOUT_MESSAGE = 'The new key policy will not allow you to update the key policy in the future.';

/**
 * Validates a new key policy: the size quota (LimitExceededException, as the model lists for
 * CreateKey and PutKeyPolicy), then the document itself (MalformedPolicyDocumentException
 * with the policy module's AWS text).
 */
export function compileKeyPolicy(text: string): CompiledPolicy {
  if (Buffer.byteLength(text, 'utf8') > KEY_POLICY_MAX_BYTES) {
    throw new LimitExceededException(`The key policy is larger than the ${KEY_POLICY_MAX_BYTES}-byte limit.`);
  }
  try {
    return compilePolicy(text, 'key');
  } catch (err) {
    if (err instanceof MalformedPolicyError) throw new MalformedPolicyDocumentException(err.message);
    throw err;
  }
}

/**
 * Validates `text` as the key's new policy and, unless the caller bypasses it, runs AWS's
 * lockout safety check: the policy must let the caller call PutKeyPolicy on the key later.
 */
export async function checkNewKeyPolicy(
  ctx: KmsContext,
  key: KeyRow,
  text: string,
  bypassLockoutCheck: boolean | undefined,
): Promise<void> {
  const policy = compileKeyPolicy(text);
  if (bypassLockoutCheck !== true && !(await allowsFuturePutKeyPolicy(ctx, key, policy))) {
    throw new MalformedPolicyDocumentException(LOCKOUT_MESSAGE);
  }
}

/** A KMS key has one policy, and its name is always `default`. */
export const DEFAULT_POLICY_NAME = 'default';

export function assertDefaultPolicyName(name: string | undefined): void {
  if (name !== undefined && name !== DEFAULT_POLICY_NAME) {
    throw new NotFoundException(`No such policy exists: ${name}. The only valid policy name is "${DEFAULT_POLICY_NAME}".`);
  }
}
