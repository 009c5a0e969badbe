/**
 * A cache of the rows of one table that requests read over and over (the KMS key behind
 * every Encrypt), kept right by the store's change feed (store.ts ChangeFeed):
 *
 * - a write in this process drops the row at once, when its statement runs;
 * - a write by another process on the same SQLite file is seen by `sync()` before each
 *   read (PRAGMA data_version), and drops every row;
 * - a write by another node on PostgreSQL arrives by NOTIFY and drops the row; while the
 *   listening connection is down or unconfirmed, the cache is not used at all.
 *
 * A read inside a transaction goes to the store. A row read while any transaction is open, or
 * while any change arrived during the read, is not kept: it may be about to roll back (SQLite
 * shares one connection), or already be stale. Rows are kept as deep copies and handed out as
 * fresh deep copies, so a caller that changes its row changes nothing here.
 */
import type { ChangeFeed, Scope, Store, Table } from './store.js';

export class RowCache<T> {
  private readonly rows = new Map<string, T>();
  private readonly feed: ChangeFeed;
  private readonly table: Table<T>;
  /** Bumped by every change: a read that saw it move may have read an older row. */
  private generation = 0;

  constructor(
    store: Store,
    private readonly tableName: string,
    private readonly maxRows = 10_000,
  ) {
    this.table = store.table<T>(tableName);
    this.feed = store.changes();
    this.feed.subscribe((change) => {
      this.generation++;
      if (change === undefined) this.rows.clear();
      else if (change.table === tableName) this.rows.delete(cacheKey(change.scope, change.id));
    });
  }

  async get(scope: Scope, id: string): Promise<T | undefined> {
    if (!this.feed.sync()) {
      this.rows.clear();
      return this.table.get(scope, id);
    }
    const key = cacheKey(scope, id);
    const hit = this.rows.get(key);
    // A hit is a committed row no write has touched since (a write drops it at once); only a
    // read inside a transaction must go to the store.
    if (hit !== undefined && !this.feed.insideTransaction()) return copyJson(hit);
    const generation = this.generation;
    const quiet = !this.feed.inTransaction;
    const row = await this.table.get(scope, id);
    if (row !== undefined && quiet && !this.feed.inTransaction && generation === this.generation) this.keep(key, row);
    return row;
  }

  private keep(key: string, row: T): void {
    // Oldest first out: a Map iterates in insertion order.
    if (this.rows.size >= this.maxRows) this.rows.delete(this.rows.keys().next().value as string);
    this.rows.set(key, copyJson(row));
  }
}

/**
 * A deep copy of a row as the store hands it out (parsed JSON: objects, arrays, strings,
 * numbers, booleans, null). Strings are shared, being immutable. Several times cheaper than
 * parsing the row's JSON text again on every hit, which was a visible share of Encrypt's
 * instructions (a key row carries its policy text).
 */
export function copyJson<V>(value: V): V {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyJson) as V;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = copyJson((value as Record<string, unknown>)[k]);
    // A key named `__proto__` (JSON.parse makes it an own property) must stay one: assignment would set the prototype.
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out as V;
}

function cacheKey(scope: Scope, id: string): string {
  return `${scope.account}/${scope.region}/${id}`;
}
