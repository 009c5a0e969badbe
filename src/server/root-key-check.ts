/**
 * A data directory (or database) remembers which root key it was created with: a value
 * wrapped under it, in the kmsd_meta table.
 */
import type { RootKey } from '../keystores/root-key.js';
import { RowExistsError } from '../store/store.js';
import type { Store } from '../store/store.js';

const ROOT_KEY_CHECK_AAD = 'kmsd:root-key-check';
const META_SCOPE = { account: '', region: '' };
const metaTable = (store: Store) => store.table<{ wrapped: string }>('kmsd_meta');

/**
 * Starting with another key (a changed KMSD_ROOT_KEY, a lost root-key file) would make every
 * stored key unusable one request at a time; refuse to start instead. `names` says where the
 * key came from and what holds the data, for the message.
 */
export async function checkRootKey(store: Store, rootKey: RootKey, names: { source: string; holder: string }): Promise<void> {
  let row = await metaTable(store).get(META_SCOPE, 'root-key-check');
  if (!row) {
    const mine = { wrapped: rootKey.wrap(Buffer.from(ROOT_KEY_CHECK_AAD), ROOT_KEY_CHECK_AAD) };
    // Create-only: of several nodes starting on an empty database, one records its key and
    // the others are checked against it.
    const won = await metaTable(store)
      .insert(META_SCOPE, 'root-key-check', mine)
      .then(
        () => true,
        (err: unknown) => {
          if (err instanceof RowExistsError) return false;
          throw err;
        },
      );
    if (won) return;
    row = (await metaTable(store).get(META_SCOPE, 'root-key-check')) ?? mine;
  }
  try {
    rootKey.unwrap(row.wrapped, ROOT_KEY_CHECK_AAD);
  } catch {
    throw new Error(`the root key (${names.source}) is not the one this ${names.holder} was created with; refusing to start`);
  }
}

/** A read of the check row: what GET /ready asks of the store. */
export async function readRootKeyCheck(store: Store): Promise<void> {
  await metaTable(store).get(META_SCOPE, 'root-key-check');
}
