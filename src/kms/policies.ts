/**
 * Key policies: validated by the policy module (src/auth/policy) when CreateKey or
 * PutKeyPolicy sets one, checked against locking the caller out, and evaluated on every
 * request by src/kms/authorization.ts.
 */
import { LimitExceededException, MalformedPolicyDocumentException, NotFoundException } from '../generated/kms.js';
import { compilePolicy, MalformedPolicyError, PolicyTooLargeError } from '../auth/policy/index.js';
import type { CompiledPolicy } from '../auth/policy/index.js';
import type { KmsContext } from './context.js';
import type { KeyRow } from './keys.js';
import { allowsFuturePutKeyPolicy } from './authorization.js';

/** AWS's refusal of a policy that fails the lockout safety check (§4.1). */
export const LOCKOUT_MESSAGE = 'The new key policy will not allow you to update the key policy in the future.';

/**
 * Validates a new key policy with the policy language: its 32 KB quota answers
 * LimitExceededException (as the model lists for CreateKey and PutKeyPolicy), any other
 * defect MalformedPolicyDocumentException with AWS's text.
 */
export function compileKeyPolicy(text: string): CompiledPolicy {
  try {
    return compilePolicy(text, 'key');
  } catch (err) {
    if (err instanceof PolicyTooLargeError) throw new LimitExceededException(err.message);
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
