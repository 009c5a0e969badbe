import type { ListGrantsRequest, ListGrantsResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { findKey } from '../keys.js';
import { allGrants, grantEntry, grantTable, keyScope } from '../grants.js';
import { pageArray, pageFields, pageOf } from '../pagination.js';

/** ListGrants: Limit 1–100 (model), default 50; KeyId is a key id or key ARN, never an alias. */
const DEFAULT_LIMIT = 50;

/** ListGrants: a key's grants, optionally only one grant id or one grantee, in creation order. */
export const listGrants: KmsHandler<ListGrantsRequest, ListGrantsResponse> = async (input, ctx) => {
  const key = await findKey(ctx, input.KeyId, { allowAlias: false });
  const filtered = input.GrantId !== undefined || input.GranteePrincipal !== undefined || input.GranteeServicePrincipal !== undefined;
  let page;
  if (filtered) {
    const matches = (await allGrants(ctx.deps.store, keyScope(key), key.keyId)).filter(
      (g) =>
        (input.GrantId === undefined || g.grantId === input.GrantId) &&
        (input.GranteePrincipal === undefined || g.granteePrincipal === input.GranteePrincipal) &&
        (input.GranteeServicePrincipal === undefined || g.granteeServicePrincipal === input.GranteeServicePrincipal),
    );
    page = pageArray(matches, input.Limit, input.Marker, DEFAULT_LIMIT);
  } else {
    page = await pageOf(grantTable(ctx.deps.store), keyScope(key), input.Limit ?? DEFAULT_LIMIT, input.Marker, `${key.keyId}/`);
  }
  return { Grants: page.items.map(grantEntry), ...pageFields(page.next) };
};
