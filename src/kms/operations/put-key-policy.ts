import type { PutKeyPolicyRequest } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { updateKey } from '../keys.js';
import { assertDefaultPolicyName, checkNewKeyPolicy } from '../policies.js';

/**
 * PutKeyPolicy: replaces the stored policy, in every key state (key-state table). The key is
 * found and the caller authorized against the current policy first (a missing key is
 * NotFoundException before the new document is even parsed), then the new policy is
 * validated and must pass the lockout safety check unless BypassPolicyLockoutSafetyCheck.
 */
export const putKeyPolicy: KmsHandler<PutKeyPolicyRequest, Record<string, never>> = async (input, ctx) => {
  // AWS finds the key (and authorizes the caller) before it looks at the policy: a missing key
  // with an invalid policy is NotFoundException, not MalformedPolicyDocumentException.
  await updateKey(ctx, input.KeyId, { allowAlias: false }, async (key) => {
    assertDefaultPolicyName(input.PolicyName);
    await checkNewKeyPolicy(ctx, key, input.Policy, input.BypassPolicyLockoutSafetyCheck);
    key.policy = input.Policy;
  });
  return {};
};
