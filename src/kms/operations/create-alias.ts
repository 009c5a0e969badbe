import type { CreateAliasRequest } from '../../generated/kms.js';
import { AlreadyExistsException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import type { Scope } from '../../store/store.js';
import { RowExistsError } from '../../store/store.js';
import { aliasTable, assertAliasQuota, checkAliasTarget, checkNewAliasName } from '../aliases.js';
import { resourceQuotas } from '../quotas.js';
import { aliasArn, assertNotPendingDeletion, awsManagedKeyDenied, findKey } from '../keys.js';

/**
 * CreateAlias: a new name for a key of the same account and region (key id or key ARN, never
 * another alias); the name must be free (AlreadyExistsException) and the key not pending deletion.
 */
export const createAlias: KmsHandler<CreateAliasRequest, Record<string, never>> = async (input, ctx) => {
  checkNewAliasName(input.AliasName);
  checkAliasTarget(input.TargetKeyId);
  await ctx.deps.store.transaction(async () => {
    const key = await findKey(ctx, input.TargetKeyId, { allowAlias: false });
    // Aliases name customer managed keys only; an AWS managed key's policy does not allow it.
    if (key.keyManager === 'AWS') throw awsManagedKeyDenied(ctx, key);
    assertNotPendingDeletion(key);
    const table = aliasTable(ctx.deps.store);
    if (await table.get(ctx.scope, input.AliasName)) throw aliasExists(ctx.scope, input.AliasName);
    await assertAliasQuota(ctx.deps.store, ctx.scope, key.keyId, key.arn, resourceQuotas(ctx).aliasesPerKey);
    const now = ctx.now.getTime();
    // Create-only, so that of CreateAlias calls racing for one name on several nodes exactly
    // one succeeds (the check above already answers the common case).
    const row = { aliasName: input.AliasName, targetKeyId: key.keyId, creationDate: now, lastUpdatedDate: now };
    await table.insert(ctx.scope, input.AliasName, row).catch((err: unknown) => {
      throw err instanceof RowExistsError ? aliasExists(ctx.scope, input.AliasName) : err;
    });
  });
  return {};
};

function aliasExists(scope: Scope, aliasName: string): AlreadyExistsException {
  return new AlreadyExistsException(`An alias with the name ${aliasArn(scope, aliasName)} already exists`);
}
