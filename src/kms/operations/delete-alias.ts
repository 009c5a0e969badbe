import type { DeleteAliasRequest } from '../../generated/kms.js';
import { NotFoundException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { aliasTable, checkAliasName } from '../aliases.js';
import { aliasArn, keyTable } from '../keys.js';
import { authorizeKey } from '../authorization.js';

/**
 * DeleteAlias: works whatever the state of the key it points at; the key is untouched.
 * Besides kms:DeleteAlias on the alias (IAM, checked before this handler), AWS needs
 * kms:DeleteAlias on the key the alias points at (its key policy, §2.5).
 */
export const deleteAlias: KmsHandler<DeleteAliasRequest, Record<string, never>> = async (input, ctx) => {
  checkAliasName(input.AliasName);
  await ctx.deps.store.transaction(async () => {
    const table = aliasTable(ctx.deps.store);
    const alias = await table.get(ctx.scope, input.AliasName);
    if (!alias) throw new NotFoundException(`Alias ${aliasArn(ctx.scope, input.AliasName)} is not found.`);
    const key = await keyTable(ctx.deps.store).get(ctx.scope, alias.targetKeyId);
    if (key) await authorizeKey(ctx, key);
    await table.delete(ctx.scope, input.AliasName);
  });
  return {};
};
