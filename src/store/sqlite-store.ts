/**
 * The embedded default store: one SQLite database (better-sqlite3, WAL) in the data
 * directory, or in memory with --in-memory. Each named table is created on first use with
 * the same layout: scope, id, JSON row, and an optional due time for the sweeper.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { InvalidMarkerError } from './store.js';
import type { ListOptions, Page, PutOptions, Scope, Scoped, Store, Table } from './store.js';

const TABLE_NAME = /^[a-z][a-z0-9_]*$/;

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly tables = new Map<string, SqliteTable<unknown>>();
  /** Tables first used inside the open transaction: their CREATE TABLE is undone by a rollback. */
  private readonly createdInTransaction: string[] = [];
  private readonly inTransaction = new AsyncLocalStorage<true>();
  private lock: Promise<void> = Promise.resolve();
  /** Transactions running or waiting for the lock. */
  private waiting = 0;

  /** `path` is a file, or ':memory:'. */
  constructor(path: string) {
    // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database's mode.
    if (path !== ':memory:') closeSync(openSync(path, 'a', 0o600));
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: each commit is fsynced before it returns, so an acknowledged write survives a power loss.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
  }

  table<T>(name: string): Table<T> {
    let t = this.tables.get(name);
    if (!t) {
      if (!TABLE_NAME.test(name)) throw new Error(`bad table name ${name}`);
      t = new SqliteTable<unknown>(this.db, name, (write) => this.write(write));
      this.tables.set(name, t);
      if (this.db.inTransaction) this.createdInTransaction.push(name);
    }
    return t as Table<T>;
  }

  async transaction<R>(fn: () => Promise<R>): Promise<R> {
    if (this.inTransaction.getStore()) return fn();
    this.waiting++;
    const release = await this.acquire();
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.inTransaction.run(true, fn);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        // Forget them, so their next use creates them again (a failed commit, e.g. disk full,
        // would otherwise leave a cached table that does not exist).
        for (const name of this.createdInTransaction) this.tables.delete(name);
        throw err;
      } finally {
        this.createdInTransaction.length = 0;
      }
    } finally {
      release();
      // An enabled AsyncLocalStorage (Node 20: async hooks) taxes every promise of every
      // request. Keep it on only while transactions run or wait; run() turns it back on.
      if (--this.waiting === 0) this.inTransaction.disable();
    }
  }

  async close(): Promise<void> {
    await this.lock;
    this.db.close();
  }

  /** A write outside any transaction still waits for an open transaction to finish. */
  private async write<R>(fn: () => R): Promise<R> {
    if (this.inTransaction.getStore() || !this.db.inTransaction) return fn();
    const release = await this.acquire();
    try {
      return fn();
    } finally {
      release();
    }
  }

  private async acquire(): Promise<() => void> {
    const previous = this.lock;
    let release: () => void = () => undefined;
    this.lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  }
}

interface RowRecord {
  seq: number;
  id: string;
  data: string;
}

class SqliteTable<T> implements Table<T> {
  private readonly stmts: {
    get: Database.Statement<[string, string, string], string>;
    put: Database.Statement<[string, string, string, string, number | null]>;
    del: Database.Statement<[string, string, string]>;
    list: Database.Statement<[{ account: string; region: string; after: number; prefix: string; limit: number }], RowRecord>;
    count: Database.Statement<[{ account: string; region: string; prefix: string }], { n: number }>;
    due: Database.Statement<[number, number], { account: string; region: string; id: string; data: string }>;
    all: Database.Statement<[], { account: string; region: string; id: string; data: string }>;
  };

  constructor(
    db: Database.Database,
    name: string,
    private readonly write: <R>(fn: () => R) => Promise<R>,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS ${name} (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      account TEXT NOT NULL, region TEXT NOT NULL, id TEXT NOT NULL,
      data TEXT NOT NULL, due INTEGER,
      UNIQUE (account, region, id))`);
    db.exec(`CREATE INDEX IF NOT EXISTS ${name}_due ON ${name} (due) WHERE due IS NOT NULL`);
    this.stmts = {
      // pluck(): the JSON text itself, no row object per lookup (the hot path of every request).
      get: db.prepare<[string, string, string], string>(`SELECT data FROM ${name} WHERE account = ? AND region = ? AND id = ?`).pluck(),
      // Upsert keeps the row's seq, so replacing a row does not move it in listings.
      put: db.prepare(
        `INSERT INTO ${name} (account, region, id, data, due) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (account, region, id) DO UPDATE SET data = excluded.data, due = excluded.due`,
      ),
      del: db.prepare(`DELETE FROM ${name} WHERE account = ? AND region = ? AND id = ?`),
      list: db.prepare(
        `SELECT seq, id, data FROM ${name} WHERE account = @account AND region = @region AND seq > @after
         AND substr(id, 1, length(@prefix)) = @prefix ORDER BY seq LIMIT @limit`,
      ),
      count: db.prepare(
        `SELECT count(*) AS n FROM ${name} WHERE account = @account AND region = @region AND substr(id, 1, length(@prefix)) = @prefix`,
      ),
      due: db.prepare(`SELECT account, region, id, data FROM ${name} WHERE due IS NOT NULL AND due <= ? ORDER BY due LIMIT ?`),
      all: db.prepare(`SELECT account, region, id, data FROM ${name} ORDER BY seq`),
    };
  }

  async get(scope: Scope, id: string): Promise<T | undefined> {
    const data = this.stmts.get.get(scope.account, scope.region, id);
    return data === undefined ? undefined : (JSON.parse(data) as T);
  }

  async put(scope: Scope, id: string, row: T, options: PutOptions = {}): Promise<void> {
    const data = JSON.stringify(row);
    await this.write(() => this.stmts.put.run(scope.account, scope.region, id, data, options.due ?? null));
  }

  async delete(scope: Scope, id: string): Promise<boolean> {
    return this.write(() => this.stmts.del.run(scope.account, scope.region, id).changes > 0);
  }

  async list(scope: Scope, options: ListOptions = {}): Promise<Page<T>> {
    const after = options.marker === undefined ? 0 : decodeMarker(options.marker);
    const limit = options.limit ?? 1000;
    const rows = this.stmts.list.all({ ...scope, after, prefix: options.prefix ?? '', limit: limit + 1 });
    const page = rows.slice(0, limit);
    const items = page.map((r) => JSON.parse(r.data) as T);
    return rows.length > limit ? { items, next: encodeMarker(page[page.length - 1].seq) } : { items };
  }

  async count(scope: Scope, prefix = ''): Promise<number> {
    return this.stmts.count.get({ ...scope, prefix })?.n ?? 0;
  }

  async dueBefore(time: number, limit: number): Promise<Scoped<T>[]> {
    return this.stmts.due.all(time, limit).map(toScoped<T>);
  }

  async all(): Promise<Scoped<T>[]> {
    return this.stmts.all.all().map(toScoped<T>);
  }
}

function toScoped<T>(r: { account: string; region: string; id: string; data: string }): Scoped<T> {
  return { scope: { account: r.account, region: r.region }, id: r.id, row: JSON.parse(r.data) as T };
}

// Markers are opaque to clients; inside they carry the last row's sequence number.
function encodeMarker(seq: number): string {
  return Buffer.from(`kmsd:${seq}`).toString('base64url');
}

function decodeMarker(marker: string): number {
  const m = /^kmsd:(\d+)$/.exec(Buffer.from(marker, 'base64url').toString('utf8'));
  if (!m) throw new InvalidMarkerError();
  return Number(m[1]);
}
