import type { RevokeGrantRequest } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { findKey } from '../keys.js';
import { findGrant, grantRowId, grantTable, keyScope } from '../grants.js';
import { assertDryRun } from '../dry-run.js';

/** RevokeGrant: deletes a grant of the key, in any key state (key-state table). */
export const revokeGrant: KmsHandler<RevokeGrantRequest, Record<string, never>> = async (input, ctx) => {
  await ctx.deps.store.transaction(async () => {
    const key = await findKey(ctx, input.KeyId, { allowAlias: false });
    await findGrant(ctx, key, input.GrantId);
    assertDryRun(input.DryRun);
    await grantTable(ctx.deps.store).delete(keyScope(key), grantRowId(key.keyId, input.GrantId));
  });
  return {};
};
