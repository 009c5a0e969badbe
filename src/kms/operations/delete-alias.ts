import type { DeleteAliasRequest } from '../../generated/kms.js';
import { NotFoundException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { aliasTable, checkAliasName } from '../aliases.js';
import { aliasArn } from '../keys.js';

/** DeleteAlias: works whatever the state of the key it points at; the key is untouched. */
export const deleteAlias: KmsHandler<DeleteAliasRequest, Record<string, never>> = async (input, ctx) => {
  checkAliasName(input.AliasName);
  const deleted = await aliasTable(ctx.deps.store).delete(ctx.scope, input.AliasName);
  if (!deleted) throw new NotFoundException(`Alias ${aliasArn(ctx.scope, input.AliasName)} is not found.`);
  return {};
};
