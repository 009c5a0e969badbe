import type { ListKeyPoliciesRequest, ListKeyPoliciesResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { findKey } from '../keys.js';
import { DEFAULT_POLICY_NAME } from '../policies.js';
import { pageArray, pageFields } from '../pagination.js';

/** ListKeyPolicies: a KMS key has exactly one policy, named `default`. */
export const listKeyPolicies: KmsHandler<ListKeyPoliciesRequest, ListKeyPoliciesResponse> = async (input, ctx) => {
  await findKey(ctx, input.KeyId, { allowAlias: false });
  const page = pageArray([DEFAULT_POLICY_NAME], input.Limit, input.Marker);
  return { PolicyNames: page.items, ...pageFields(page.next) };
};
