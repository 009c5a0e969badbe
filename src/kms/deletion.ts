/**
 * Final deletion of a KMS key once its waiting period (ScheduleKeyDeletion) has passed: the
 * row, every material version and every alias pointing at it go, as in AWS, after which its
 * ciphertexts can never be decrypted again. The sweeper runs it (sweeper.ts); until then a
 * lookup already treats the key as gone (keys.ts `isPastDeletion`), but never deletes.
 */
import type { KmsContext } from './context.js';
import { aliasTable, allAliases } from './aliases.js';
import { backendRef, keyTable } from './keys.js';
import { deleteGrantsOf } from './grants.js';
import { leaveFamily } from './multi-region.js';
import type { KeyRow } from './keys.js';

/** An external key store's key keeps its inner-layer material in kmsd (double encryption). */
const keepsLocalMaterial = (key: KeyRow): boolean => !key.customKeyStoreId || key.origin === 'EXTERNAL_KEY_STORE';

/**
 * The store's part: the key's rows, aliases, grants and kmsd-held material. Only store writes,
 * so it may run inside a transaction that is retried; call destroyBackingMaterial once that
 * transaction has committed.
 */
export async function deleteKeyRows(ctx: Pick<KmsContext, 'deps'>, key: KeyRow): Promise<void> {
  const scope = { account: key.account, region: key.region };
  const { store } = ctx.deps;
  await store.transaction(async () => {
    for (const alias of await allAliases(store, scope)) {
      if (alias.targetKeyId === key.keyId) await aliasTable(store).delete(scope, alias.aliasName);
    }
    await deleteGrantsOf(store, scope, key.keyId);
    await ctx.deps.keyUsage.forget(scope, key.keyId);
    if (keepsLocalMaterial(key)) await ctx.deps.localKeys.destroyAll({ scope, keyId: key.keyId, arn: key.arn });
    await keyTable(store).delete(scope, key.keyId);
    if (key.multiRegion) await leaveFamily(ctx, key);
  });
}

/**
 * A key in a custom key store keeps its material in the CloudHSM cluster. AWS deletes it there
 * on a best-effort basis (custom-key-stores.md §11.4): the KMS key is gone even if the cluster
 * cannot be reached, so a failure here must not undo the deletion. An HSM call, so never
 * inside a store transaction that may run again.
 */
export async function destroyBackingMaterial(ctx: Pick<KmsContext, 'deps'>, key: KeyRow): Promise<void> {
  const backend = ctx.deps.customKeyStoreBackend;
  if (keepsLocalMaterial(key) || !backend) return;
  for (const materialId of key.materialIds) {
    await backend.destroyMaterial(backendRef(key, materialId)).catch(() => undefined);
  }
}

/** Both parts, for a caller outside any transaction. */
export async function deleteKeyFinally(ctx: Pick<KmsContext, 'deps'>, key: KeyRow): Promise<void> {
  await deleteKeyRows(ctx, key);
  await destroyBackingMaterial(ctx, key);
}
