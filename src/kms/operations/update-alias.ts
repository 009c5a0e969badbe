import type { UpdateAliasRequest } from '../../generated/kms.js';
import { NotFoundException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { aliasTable, checkAliasName, checkAliasTarget } from '../aliases.js';
import { aliasArn, assertNotPendingDeletion, awsManagedKeyDenied, findKey, keyTable } from '../keys.js';
import { isAsymmetricSpec, isHmacSpec } from '../key-specs.js';
import type { KeySpec } from '../../generated/kms.js';
import { ValidationException } from '../../core/service-error.js';

function keyType(spec: KeySpec): string {
  return isHmacSpec(spec) ? 'HMAC' : isAsymmetricSpec(spec) ? 'ASYMMETRIC' : 'SYMMETRIC';
}

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
    // Aliases name customer managed keys only; an AWS managed key's policy does not allow it.
    if (key.keyManager === 'AWS') throw awsManagedKeyDenied(ctx, key);
    assertNotPendingDeletion(key);
    // AWS lets an alias move only between keys of the same type (symmetric encryption,
    // asymmetric, HMAC) and the same key usage, so callers of the alias keep working.
    const old = await keyTable(ctx.deps.store).get(ctx.scope, alias.targetKeyId);
    if (old && (old.keyUsage !== key.keyUsage || keyType(old.keySpec) !== keyType(key.keySpec))) {
      throw new ValidationException(
        `${input.AliasName} points to a ${old.keySpec} key with KeyUsage ${old.keyUsage}; it cannot point to a ${key.keySpec} key with KeyUsage ${key.keyUsage}.`,
      );
    }
    await table.put(ctx.scope, input.AliasName, { ...alias, targetKeyId: key.keyId, lastUpdatedDate: ctx.now.getTime() });
  });
  return {};
};
