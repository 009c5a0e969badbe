import type { CreateAliasRequest } from '../../generated/kms.js';
import { AlreadyExistsException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { aliasTable, checkAliasName, checkAliasTarget } from '../aliases.js';
import { aliasArn, assertNotPendingDeletion, awsManagedKeyDenied, findKey } from '../keys.js';

/**
 * CreateAlias: a new name for a key of the same account and region (key id or key ARN, never
 * another alias); the name must be free (AlreadyExistsException) and the key not pending deletion.
 */
export const createAlias: KmsHandler<CreateAliasRequest, Record<string, never>> = async (input, ctx) => {
  checkAliasName(input.AliasName);
  checkAliasTarget(input.TargetKeyId);
  await ctx.deps.store.transaction(async () => {
    const key = await findKey(ctx, input.TargetKeyId, { allowAlias: false });
    // Aliases name customer managed keys only; an AWS managed key's policy does not allow it.
    if (key.keyManager === 'AWS') throw awsManagedKeyDenied(ctx, key);
    assertNotPendingDeletion(key);
    const table = aliasTable(ctx.deps.store);
    if (await table.get(ctx.scope, input.AliasName)) {
      throw new AlreadyExistsException(`An alias with the name ${aliasArn(ctx.scope, input.AliasName)} already exists`);
    }
    const now = ctx.now.getTime();
    await table.put(ctx.scope, input.AliasName, {
      aliasName: input.AliasName,
      targetKeyId: key.keyId,
      creationDate: now,
      lastUpdatedDate: now,
    });
  });
  return {};
};
