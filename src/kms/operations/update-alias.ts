import type { UpdateAliasRequest } from '../../generated/kms.js';
import { NotFoundException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { aliasTable, checkAliasName, checkAliasTarget } from '../aliases.js';
import { aliasArn, assertNotPendingDeletion, findKey } from '../keys.js';

/**
 * UpdateAlias: points an existing alias at another key. The new key must not be pending
 * deletion; the old one may be (key-state table, note 10).
 */
export const updateAlias: KmsHandler<UpdateAliasRequest, Record<string, never>> = async (input, ctx) => {
  checkAliasName(input.AliasName);
  checkAliasTarget(input.TargetKeyId);
  await ctx.deps.store.transaction(async () => {
    const table = aliasTable(ctx.deps.store);
    const alias = await table.get(ctx.scope, input.AliasName);
    if (!alias) throw new NotFoundException(`Alias ${aliasArn(ctx.scope, input.AliasName)} is not found.`);
    const key = await findKey(ctx, input.TargetKeyId, { allowAlias: false });
    assertNotPendingDeletion(key);
    await table.put(ctx.scope, input.AliasName, { ...alias, targetKeyId: key.keyId, lastUpdatedDate: ctx.now.getTime() });
  });
  return {};
};
