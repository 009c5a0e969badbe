/**
 * A cache of values computed from a few stored rows (an HSM key opened from its key row and
 * its cluster's rows), kept right by the store's change feed under RowCache's rules
 * (row-cache.ts): an entry goes as soon as the feed reports a write to a row it came from, or
 * to any row (another process wrote to the SQLite file, PostgreSQL's listener came back);
 * while the feed cannot be trusted nothing is cached; a value computed while a transaction
 * was open, or while any change arrived, is not kept. An entry may also hold only until a
 * given time (what it says changes then without a write, e.g. a cluster's transition ends).
 *
 * Values are handed out as they are, not copied: they must be immutable (a KeyObject).
 */
import type { ChangeFeed, Scope, Store } from './store.js';

/** One stored row a value was computed from. */
export interface RowRef {
  table: string;
  scope: Scope;
  id: string;
}

export interface Derived<V> {
  value: V;
  rows: RowRef[];
  /** epoch ms after which the value no longer holds; kept until a write when absent. */
  validUntil?: number;
}

interface Entry<V> {
  value: V;
  rows: string[];
  validUntil: number;
}

export class DerivedCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  /** The entries computed from each row, to drop them when the row is written. */
  private readonly byRow = new Map<string, Set<string>>();
  private readonly feed: ChangeFeed;
  /** Bumped by every change: a computation that saw it move may have read an older row. */
  private generation = 0;

  constructor(
    store: Store,
    private readonly now: () => number,
    private readonly maxEntries = 10_000,
  ) {
    this.feed = store.changes();
    this.feed.subscribe((change) => {
      this.generation++;
      if (change === undefined) this.clear();
      else for (const key of [...(this.byRow.get(rowKey(change)) ?? [])]) this.delete(key);
    });
  }

  /** The value kept for `key`, or the one `compute` gives (kept when nothing moved meanwhile). */
  async get(key: string, compute: () => Promise<Derived<V>>): Promise<V> {
    if (!this.feed.sync()) {
      this.clear();
      return (await compute()).value;
    }
    const hit = this.entries.get(key);
    if (hit !== undefined && this.now() < hit.validUntil && !this.feed.insideTransaction()) return hit.value;
    const generation = this.generation;
    const quiet = !this.feed.inTransaction;
    const derived = await compute();
    if (quiet && !this.feed.inTransaction && generation === this.generation) this.keep(key, derived);
    return derived.value;
  }

  /** Drops the entries whose key `matches` (e.g. those of a session that closed). */
  forget(matches: (key: string) => boolean): void {
    for (const key of [...this.entries.keys()]) if (matches(key)) this.delete(key);
  }

  private keep(key: string, derived: Derived<V>): void {
    this.delete(key);
    // Oldest first out: a Map iterates in insertion order.
    if (this.entries.size >= this.maxEntries) this.delete(this.entries.keys().next().value as string);
    const rows = derived.rows.map(rowKey);
    this.entries.set(key, { value: derived.value, rows, validUntil: derived.validUntil ?? Infinity });
    for (const row of rows) {
      let keys = this.byRow.get(row);
      if (!keys) this.byRow.set(row, (keys = new Set()));
      keys.add(key);
    }
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    for (const row of entry.rows) {
      const keys = this.byRow.get(row);
      keys?.delete(key);
      if (keys?.size === 0) this.byRow.delete(row);
    }
  }

  private clear(): void {
    this.entries.clear();
    this.byRow.clear();
  }
}

function rowKey(row: RowRef): string {
  return `${row.table}/${row.scope.account}/${row.scope.region}/${row.id}`;
}
