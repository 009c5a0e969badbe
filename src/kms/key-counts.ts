/**
 * Counts for operators (GET /metrics): KMS keys by key state and custom key stores by
 * connection state, across every account and Region. Read when metrics are scraped, never
 * on a request's path.
 *
 * The key table may hold millions of rows. The store counts them grouped by state and custom
 * key store (Table.countGroupedBy), so no key row comes into this process, and SQLite counts
 * in slices that leave the event loop to requests between them. Reading every row here
 * instead took 68 s with the event loop blocked, and 2.4 GB, at 1,000,000 keys.
 */
import type { ConnectionStateType, KeyState } from '../generated/kms.js';
import type { Store } from '../store/store.js';
import { CUSTOM_KEY_STORE_TABLE, customKeyStoreTable } from './custom-key-stores.js';
import { KEY_TABLE, keyTable } from './keys.js';

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
  // Custom key stores are few (AWS: 10 per account and Region): read them whole.
  const connected = new Set<string>();
  for (const { row } of await customKeyStoreTable(store).all()) {
    customKeyStoresByState[row.connectionState]++;
    if (row.connectionState === 'CONNECTED') connected.add(row.id);
  }
  for (const { values, count } of await keyTable(store).countGroupedBy(['state', 'customKeyStoreId'])) {
    const [state, keyStoreId] = values;
    if (state === null || !Object.hasOwn(keysByState, state)) continue;
    // As DescribeKey reports it: a key in a custom key store that is not connected is
    // Unavailable, unless it is pending deletion (keys.ts effectiveState).
    const unavailable = keyStoreId !== null && keyStoreId !== '' && state !== 'PendingDeletion' && !connected.has(keyStoreId);
    keysByState[unavailable ? 'Unavailable' : (state as KeyState)] += count;
  }
  return { keysByState, customKeyStoresByState };
}

/** What the last count found, and what it cost. */
interface Counted {
  counts: KmsCounts;
  keys: number;
  /** When it ended and how long it took, in milliseconds of `now`. */
  ended: number;
  took: number;
}

export interface KmsCounterOptions {
  /** A monotonic clock in milliseconds (default performance.now). */
  now?: () => number;
  /** Stores with fewer keys than this are counted again after any change (default EXACT_BELOW_KEYS). */
  exactBelowKeys?: number;
}

/**
 * Below this many keys a count is cheap (SQLite: about 30 ms, in slices of 2 to 3 ms), so a
 * store that changes is counted again at every scrape, and its counts are exact.
 */
const EXACT_BELOW_KEYS = 10_000;

/**
 * Under writes, a count of a large store is served again until this many times its own
 * duration has passed: counting then takes at most 1 part in RECOUNT_FACTOR + 1 of the
 * process's time, however often it is scraped. At 1,000,000 keys on SQLite a count took
 * 3.5 to 4.5 s (3 to 3.5 s of CPU), so counts may be up to about 45 s old.
 */
const RECOUNT_FACTOR = 10;

/**
 * The counts as /metrics serves them. Prometheus scrapes every 15 to 60 s, often from two
 * servers, and a count of a large store takes seconds of CPU, so:
 * - one count at a time: scrapes that arrive while one runs share it;
 * - no count while nothing changed: the last one is served again as long as the store's
 *   change feed (store.ts ChangeFeed; other processes and nodes included) reports no write
 *   to keys or custom key stores since it began. A quiet kmsd reads nothing when scraped;
 * - under writes, a store of EXACT_BELOW_KEYS keys or more is recounted at most once per
 *   RECOUNT_FACTOR times the last count's duration, so that how often kmsd is scraped does
 *   not decide how much of its CPU goes to counting. The price: the counts of a large store
 *   that keeps changing may be up to that old.
 */
export class KmsCounter {
  private last: Counted | undefined;
  private running: Promise<KmsCounts> | undefined;
  /** A write to a counted table since the last count began (or the feed lost track). */
  private changed = true;
  private readonly now: () => number;
  private readonly exactBelowKeys: number;

  constructor(
    private readonly store: Store,
    options: KmsCounterOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.exactBelowKeys = options.exactBelowKeys ?? EXACT_BELOW_KEYS;
    store.changes().subscribe((change) => {
      if (change === undefined || change.table === KEY_TABLE || change.table === CUSTOM_KEY_STORE_TABLE) this.changed = true;
    });
  }

  async counts(): Promise<KmsCounts> {
    if (this.running) return this.running;
    if (this.last && this.stillGood(this.last)) return this.last.counts;
    this.running = this.count().finally(() => (this.running = undefined));
    return this.running;
  }

  private stillGood(last: Counted): boolean {
    // sync() first: it reports writes of other processes (SQLite workers) to the listener,
    // and says whether the feed can be trusted (PostgreSQL: its listener is connected).
    if (this.store.changes().sync() && !this.changed) return true;
    return last.keys >= this.exactBelowKeys && this.now() - last.ended < RECOUNT_FACTOR * last.took;
  }

  private async count(): Promise<KmsCounts> {
    // A write still inside an open transaction may be counted (SQLite shares one connection)
    // and then rolled back, which the feed never reports: such a count is not taken as clean.
    const clean = !this.store.changes().inTransaction;
    this.changed = false;
    const started = this.now();
    try {
      const counts = await countKmsResources(this.store);
      const ended = this.now();
      const keys = Object.values(counts.keysByState).reduce((a, b) => a + b, 0);
      this.last = { counts, keys, ended, took: ended - started };
      if (!clean) this.changed = true;
      return counts;
    } catch (err) {
      this.changed = true;
      throw err;
    }
  }
}
