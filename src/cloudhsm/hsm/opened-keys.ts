/**
 * The HSM keys that sessions use, kept opened. Opening a key costs three row reads (the
 * cluster row with its certificates, the cluster's secret row, the key row) and two AES-GCM
 * unwraps (the cluster secret under the root key, the key under the cluster secret): more
 * than the AES-GCM operation the caller wants, on every Encrypt and Decrypt with a key in a
 * CloudHSM key store (issue 10).
 *
 * What opening decides (the cluster exists, has an ACTIVE HSM and contents; the session's
 * user owns the key) cannot change without a write to one of those rows, a transition of the
 * cluster or an HSM ending, or the session closing, so the opened key is kept per session
 * and key until one of those happens (DerivedCache, fed by the store's change feed: writes
 * by other processes on the SQLite file and other nodes on PostgreSQL count too).
 *
 * The material is kept as a KeyObject, outside the JavaScript heap (Node zeroes its copy
 * when it frees it), never as bytes; the bytes it was made from are zeroed at once.
 */
import { createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Store } from '../../store/store.js';
import { DerivedCache } from '../../store/derived-cache.js';
import { settledUntil } from '../clusters.js';
import type { ClusterRow } from '../rows.js';
import { CLUSTER_TABLE } from '../rows.js';
import type { HsmSession, Sessions } from './sessions.js';
import { HSM_KEY_TABLE, HSM_SECRET_TABLE, keyId } from './tables.js';

/** What opening a key gives: its material (zeroed here once used) and the cluster as settled now. */
export interface OpenedMaterial {
  material: Buffer;
  cluster: ClusterRow;
}

export class OpenedKeys {
  private readonly cache: DerivedCache<KeyObject>;

  constructor(store: Store, now: () => number, sessions: Sessions) {
    this.cache = new DerivedCache<KeyObject>(store, now);
    sessions.onClose((id) => this.cache.forget((key) => key.startsWith(`${id}/`)));
  }

  /** The key `handle` of the session's cluster; `open` checks the cluster and the key and opens it. */
  get(session: HsmSession, handle: string, open: () => Promise<OpenedMaterial>): Promise<KeyObject> {
    const { scope, clusterId } = session;
    return this.cache.get(`${session.id}/${handle}`, async () => {
      const { material, cluster } = await open();
      try {
        return {
          value: createSecretKey(material),
          rows: [
            { table: CLUSTER_TABLE, scope, id: clusterId },
            { table: HSM_SECRET_TABLE, scope, id: clusterId },
            { table: HSM_KEY_TABLE, scope, id: keyId(clusterId, handle) },
          ],
          validUntil: settledUntil(cluster),
        };
      } finally {
        material.fill(0);
      }
    });
  }
}
