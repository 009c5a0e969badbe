import type { GetKeyPolicyRequest, GetKeyPolicyResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { findKey } from '../keys.js';
import { assertDefaultPolicyName, DEFAULT_POLICY_NAME } from '../policies.js';

/** GetKeyPolicy: the stored policy, in every key state; key id or key ARN only. */
export const getKeyPolicy: KmsHandler<GetKeyPolicyRequest, GetKeyPolicyResponse> = async (input, ctx) => {
  const key = await findKey(ctx, input.KeyId, { allowAlias: false });
  assertDefaultPolicyName(input.PolicyName);
  return { Policy: key.policy, PolicyName: DEFAULT_POLICY_NAME };
};
