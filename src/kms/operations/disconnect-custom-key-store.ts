import type { DisconnectCustomKeyStoreRequest, DisconnectCustomKeyStoreResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { findCustomKeyStore, invalidState, saveCustomKeyStore } from '../custom-key-stores.js';
import { kickTransitions, transitionDue } from '../key-store-transitions.js';

/**
 * DisconnectCustomKeyStore (§8): allowed from CONNECTED, CONNECTING and FAILED. The store is
 * DISCONNECTING at once, so its keys are Unavailable immediately; kmsuser is logged out in
 * the background, which ends in DISCONNECTED.
 */
export const disconnectCustomKeyStore: KmsHandler<DisconnectCustomKeyStoreRequest, DisconnectCustomKeyStoreResponse> = async (
  input,
  ctx,
) => {
  await ctx.deps.store.transaction(async () => {
    const row = await findCustomKeyStore(ctx, input.CustomKeyStoreId);
    if (row.connectionState === 'DISCONNECTED' || row.connectionState === 'DISCONNECTING') {
      throw invalidState(row, 'You can disconnect a custom key store only when it is CONNECTED, CONNECTING or FAILED.');
    }
    await saveCustomKeyStore(ctx, { ...row, connectionState: 'DISCONNECTING' }, transitionDue(ctx.deps));
  });
  kickTransitions(ctx.deps);
  return {};
};
