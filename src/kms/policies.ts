/**
 * Key policies: validated by the policy module (src/auth/policy) when CreateKey or
 * PutKeyPolicy sets one, checked against locking the caller out, and evaluated on every
 * request by src/kms/authorization.ts.
 */
import { LimitExceededException, MalformedPolicyDocumentException, NotFoundException } from '../generated/kms.js';
import { compilePolicy, MalformedPolicyError, PolicyTooLargeError } from '../auth/policy/index.js';
import type { CompiledPolicy } from '../auth/policy/index.js';
import type { KmsContext } from './context.js';
import type { PrincipalExists } from '../auth/known-principals.js';
import type { KeyRow } from './keys.js';
import { allowsFuturePutKeyPolicy } from './authorization.js';
import { resourceQuotas } from './quotas.js';

/** AWS's text for a key policy naming a principal that does not exist (§4.2). */
export const INVALID_PRINCIPALS_MESSAGE = 'Policy contains a statement with one or more invalid principals.';

/** AWS's refusal of a policy that fails the lockout safety check (§4.1). */
export const LOCKOUT_MESSAGE = 'The new key policy will not allow you to update the key policy in the future.';

/**
 * Validates a new key policy with the policy language: its 32 KB quota answers
 * LimitExceededException (as the model lists for CreateKey and PutKeyPolicy), any other
 * defect MalformedPolicyDocumentException with AWS's text.
 */
export function compileKeyPolicy(text: string, maxBytes: number, principalExists?: PrincipalExists): CompiledPolicy {
  assertPolicySize(text, maxBytes);
  let policy: CompiledPolicy;
  try {
    policy = compilePolicy(text, 'key');
  } catch (err) {
    if (err instanceof PolicyTooLargeError) throw new LimitExceededException(err.message);
    if (err instanceof MalformedPolicyError) throw new MalformedPolicyDocumentException(err.message);
    throw err;
  }
  // AWS also refuses a well-formed policy naming a user or role that does not exist (§4.2).
  if (principalExists && !policy.namedPrincipals.every(principalExists)) {
    throw new MalformedPolicyDocumentException(INVALID_PRINCIPALS_MESSAGE);
  }
  return policy;
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
  const policy = compileKeyPolicy(text, resourceQuotas(ctx).keyPolicyBytes, ctx.deps.principalExists);
  if (bypassLockoutCheck !== true && !(await allowsFuturePutKeyPolicy(ctx, key, policy))) {
    throw new MalformedPolicyDocumentException(LOCKOUT_MESSAGE);
  }
}

/**
 * The configurable key policy size quota (`quotas.keyPolicyBytes`, 32 KB by default), counted
 * in UTF-8 bytes. Exceeding a resource quota is LimitExceededException, AWS's rule for
 * resource quotas. The policy language itself never accepts more than 32 KB, so the quota can
 * lower the limit but not raise it.
 */
export function assertPolicySize(policy: string, maxBytes: number): void {
  if (Buffer.byteLength(policy, 'utf8') > maxBytes) {
    throw new LimitExceededException(`The key policy exceeds the maximum size of ${maxBytes} bytes.`);
  }
}

/** A KMS key has one policy, and its name is always `default`. */
export const DEFAULT_POLICY_NAME = 'default';

export function assertDefaultPolicyName(name: string | undefined): void {
  if (name !== undefined && name !== DEFAULT_POLICY_NAME) {
    throw new NotFoundException(`No such policy exists: ${name}. The only valid policy name is "${DEFAULT_POLICY_NAME}".`);
  }
}
