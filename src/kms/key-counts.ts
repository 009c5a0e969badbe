/**
 * Counts for operators (GET /metrics): KMS keys by key state and custom key stores by
 * connection state, across every account and Region. Read when metrics are scraped, never
 * on a request's path.
 */
import type { ConnectionStateType, KeyState } from '../generated/kms.js';
import type { Store } from '../store/store.js';
import { customKeyStoreTable } from './custom-key-stores.js';
import { keyTable } from './keys.js';

export interface KmsCounts {
  keysByState: Record<KeyState, number>;
  customKeyStoresByState: Record<ConnectionStateType, number>;
}

export async function countKmsResources(store: Store): Promise<KmsCounts> {
  // Every state is listed, so a state with no keys reads 0 instead of vanishing.
  const keysByState: Record<KeyState, number> = {
    Creating: 0,
    Enabled: 0,
    Disabled: 0,
    PendingDeletion: 0,
    PendingImport: 0,
    PendingReplicaDeletion: 0,
    Unavailable: 0,
    Updating: 0,
  };
  const customKeyStoresByState: Record<ConnectionStateType, number> = {
    CONNECTED: 0,
    CONNECTING: 0,
    DISCONNECTED: 0,
    DISCONNECTING: 0,
    FAILED: 0,
  };
  const connected = new Set<string>();
  for (const { row } of await customKeyStoreTable(store).all()) {
    customKeyStoresByState[row.connectionState]++;
    if (row.connectionState === 'CONNECTED') connected.add(row.id);
  }
  for (const { row } of await keyTable(store).all()) {
    // As DescribeKey reports it: a key in a custom key store that is not connected is
    // Unavailable, unless it is pending deletion (keys.ts effectiveState).
    const unavailable = row.customKeyStoreId !== undefined && row.state !== 'PendingDeletion' && !connected.has(row.customKeyStoreId);
    keysByState[unavailable ? 'Unavailable' : row.state]++;
  }
  return { keysByState, customKeyStoresByState };
}
