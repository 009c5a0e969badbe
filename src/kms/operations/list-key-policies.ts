import type { ListKeyPoliciesRequest, ListKeyPoliciesResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { findKey } from '../keys.js';
import { DEFAULT_POLICY_NAME } from '../policies.js';
import { pageFields } from '../pagination.js';

/**
 * ListKeyPolicies: a KMS key has exactly one policy, named `default`, so there is only ever
 * one page and kmsd never issues a marker. The model lists no InvalidMarkerException for
 * this operation, so a Marker is not checked: the answer is that one page whatever it says.
 */
export const listKeyPolicies: KmsHandler<ListKeyPoliciesRequest, ListKeyPoliciesResponse> = async (input, ctx) => {
  await findKey(ctx, input.KeyId, { allowAlias: false });
  return { PolicyNames: [DEFAULT_POLICY_NAME], ...pageFields(undefined) };
};
