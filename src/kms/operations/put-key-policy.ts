import type { PutKeyPolicyRequest } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { updateKey } from '../keys.js';
import { assertDefaultPolicyName, assertPolicySize, validatePolicyDocument } from '../policies.js';
import { resourceQuotas } from '../quotas.js';

/**
 * PutKeyPolicy: replaces the stored policy, in every key state (key-state table). kmsd stores
 * policies but does not evaluate them (docs/compatibility.md).
 */
export const putKeyPolicy: KmsHandler<PutKeyPolicyRequest, Record<string, never>> = async (input, ctx) => {
  // AWS finds the key before it looks at the policy: a missing key with an invalid policy is
  // NotFoundException, not MalformedPolicyDocumentException.
  await updateKey(ctx, input.KeyId, { allowAlias: false }, (key) => {
    assertDefaultPolicyName(input.PolicyName);
    assertPolicySize(input.Policy, resourceQuotas(ctx).keyPolicyBytes);
    validatePolicyDocument(input.Policy);
    key.policy = input.Policy;
  });
  return {};
};
