/**
 * Final deletion of a KMS key once its waiting period (ScheduleKeyDeletion) has passed: the
 * row, every material version and every alias pointing at it go, as in AWS, after which its
 * ciphertexts can never be decrypted again. Runs from the sweeper, or lazily from a lookup
 * that finds the window already over (keys.ts `onFinalDeletion`).
 */
import type { KmsContext } from './context.js';
import { aliasTable, allAliases } from './aliases.js';
import { backendRef, keyTable, onFinalDeletion } from './keys.js';
import { deleteGrantsOf } from './grants.js';
import { leaveFamily } from './multi-region.js';
import type { KeyRow } from './keys.js';

export async function deleteKeyFinally(ctx: Pick<KmsContext, 'deps'>, key: KeyRow): Promise<void> {
  const scope = { account: key.account, region: key.region };
  const { store } = ctx.deps;
  // An external key store's key keeps its inner-layer material in kmsd (double encryption).
  const localMaterial = !key.customKeyStoreId || key.origin === 'EXTERNAL_KEY_STORE';
  await store.transaction(async () => {
    for (const alias of await allAliases(store, scope)) {
      if (alias.targetKeyId === key.keyId) await aliasTable(store).delete(scope, alias.aliasName);
    }
    await deleteGrantsOf(store, scope, key.keyId);
    await ctx.deps.keyUsage.forget(scope, key.keyId);
    if (localMaterial) await ctx.deps.localKeys.destroyAll({ scope, keyId: key.keyId, arn: key.arn });
    await keyTable(store).delete(scope, key.keyId);
    if (key.multiRegion) await leaveFamily(ctx, key);
  });
  // A key in a custom key store keeps its material in the CloudHSM cluster. AWS deletes it
  // there on a best-effort basis (custom-key-stores.md §11.4): the KMS key is gone even if
  // the cluster cannot be reached, so a failure here must not undo the deletion above.
  const backend = ctx.deps.customKeyStoreBackend;
  if (!localMaterial && backend) {
    for (const materialId of key.materialIds) {
      await backend.destroyMaterial(backendRef(key, materialId)).catch(() => undefined);
    }
  }
}

/** Makes keys.ts delete a key whose window has passed when a request looks it up. */
export function registerFinalDeletion(): void {
  onFinalDeletion(deleteKeyFinally);
}
