import type { DeleteCustomKeyStoreRequest, DeleteCustomKeyStoreResponse } from '../../generated/kms.js';
import { CustomKeyStoreHasCMKsException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { customKeyStoreTable, findCustomKeyStore, invalidState, keysInStore } from '../custom-key-stores.js';

/**
 * DeleteCustomKeyStore (§9): only DISCONNECTED stores without KMS keys (a key pending
 * deletion still counts). Only kmsd's record goes; the cluster, kmsuser and HSM keys stay.
 */
export const deleteCustomKeyStore: KmsHandler<DeleteCustomKeyStoreRequest, DeleteCustomKeyStoreResponse> = async (input, ctx) => {
  await ctx.deps.store.transaction(async () => {
    const row = await findCustomKeyStore(ctx, input.CustomKeyStoreId);
    if (row.connectionState !== 'DISCONNECTED') {
      throw invalidState(row, 'You can delete a custom key store only when it is DISCONNECTED.');
    }
    const keys = await keysInStore(ctx, row.id);
    if (keys.length > 0) {
      throw new CustomKeyStoreHasCMKsException(
        `Custom key store ${row.id} contains ${keys.length} KMS key(s). Delete all KMS keys in the custom key store before deleting it.`,
      );
    }
    await customKeyStoreTable(ctx.deps.store).delete(ctx.scope, row.id);
  });
  return {};
};
