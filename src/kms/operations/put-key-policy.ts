import type { PutKeyPolicyRequest } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { updateKey } from '../keys.js';
import { assertDefaultPolicyName, validatePolicyDocument } from '../policies.js';

/**
 * PutKeyPolicy: replaces the stored policy, in every key state (key-state table). kmsd stores
 * policies but does not evaluate them (docs/compatibility.md).
 */
export const putKeyPolicy: KmsHandler<PutKeyPolicyRequest, Record<string, never>> = async (input, ctx) => {
  assertDefaultPolicyName(input.PolicyName);
  validatePolicyDocument(input.Policy);
  await updateKey(ctx, input.KeyId, { allowAlias: false }, (key) => {
    key.policy = input.Policy;
  });
  return {};
};
