/**
 * A data directory (or database) remembers which root key it was created with: a value
 * wrapped under it, in the kmsd_meta table.
 */
import type { RootKey } from '../keystores/root-key.js';
import type { Store } from '../store/store.js';

const ROOT_KEY_CHECK_AAD = 'kmsd:root-key-check';
const META_SCOPE = { account: '', region: '' };
const metaTable = (store: Store) => store.table<{ wrapped: string }>('kmsd_meta');

/**
 * Starting with another key (a changed KMSD_ROOT_KEY, a lost root-key file) would make every
 * stored key unusable one request at a time; refuse to start instead.
 */
export async function checkRootKey(store: Store, rootKey: RootKey): Promise<void> {
  const row = await metaTable(store).get(META_SCOPE, 'root-key-check');
  if (!row) {
    await metaTable(store).put(META_SCOPE, 'root-key-check', {
      wrapped: rootKey.wrap(Buffer.from(ROOT_KEY_CHECK_AAD), ROOT_KEY_CHECK_AAD),
    });
    return;
  }
  try {
    rootKey.unwrap(row.wrapped, ROOT_KEY_CHECK_AAD);
  } catch {
    throw new Error(
      'the root key (KMSD_ROOT_KEY or <data-dir>/root-key) is not the one this data directory was created with; refusing to start',
    );
  }
}

/** A read of the check row: what GET /ready asks of the store. */
export async function readRootKeyCheck(store: Store): Promise<void> {
  await metaTable(store).get(META_SCOPE, 'root-key-check');
}
