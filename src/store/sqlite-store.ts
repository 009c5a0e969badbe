/**
 * The embedded default store: one SQLite database (better-sqlite3, WAL) in the data
 * directory, or in memory with --in-memory. Every table's rows live in kmsd_rows
 * (migrations.ts). Transactions take SQLite's write lock (BEGIN IMMEDIATE) behind an
 * in-process queue, so they never conflict and never rerun. Several processes may share the
 * file (`kmsd serve --workers N`): SQLite then lets one of them write at a time, and a process
 * that finds the lock taken waits for it without blocking its event loop (retryWhileBusy).
 *
 * Group commit: with synchronous=FULL every COMMIT waits for an fsync, which would bound
 * writes at one per fsync. Transactions waiting in the queue therefore share one: each runs
 * inside the open SQLite transaction between a SAVEPOINT and its RELEASE (a thrown error
 * rolls back to its savepoint and reaches only its own caller), and one COMMIT ends the
 * batch when the queue is empty or MAX_BATCH have run. Only then are the batch's callers
 * answered, so an acknowledged write is on disk; a failed COMMIT (disk full) rejects every
 * caller of the batch with SQLite's error and keeps none of its writes.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { byDue, checkFields, decodeMarker, encodeMarker, RowExistsError, TABLE_NAME, toScoped, VersionConflictError } from './store.js';
import type { ChangeFeed, GroupCount, ListOptions, Page, PutOptions, Scope, Scoped, Store, Table, Versioned } from './store.js';
import { ChangeFeedHub } from './change-feed.js';
import { pendingMigrations, SCHEMA_TABLE } from './migrations.js';
import { WalIndexWatch } from './wal-index-watch.js';

/**
 * better-sqlite3 waits for a busy database inside SQLite's busy handler, which sleeps on the
 * event loop's thread: keep that wait short, and wait longer asynchronously (retryWhileBusy).
 */
const BUSY_TIMEOUT_MS = 10;
/** Opening waits longer: the constructor is synchronous, and migrating happens once. */
const OPEN_BUSY_TIMEOUT_MS = 10_000;
/** How long a write waits, in all, for another process to release the write lock. */
const BUSY_DEADLINE_MS = 30_000;
const MAX_BACKOFF_MS = 50;
/**
 * How many rows (of every table: a range of seq) one statement of countGroupedBy reads. The
 * statement holds the event loop (better-sqlite3 is synchronous) while json_extract parses
 * each row. Measured on 1,000,000 keys (870 bytes of JSON each) and their 1,000,000 key
 * material rows, the whole count took 2.6 to 3.1 s whatever the slice; a slice of 2,000
 * rows took 2.4 ms (median) and at most about 20 ms (the first, on a cold cache), one of
 * 5,000 rows 6 ms and up to 60 ms, one of 20,000 rows 25 ms.
 */
const COUNT_SLICE_ROWS = 2_000;

export interface SqliteStoreOptions {
  /** Rows one statement of countGroupedBy reads (COUNT_SLICE_ROWS); tests make it small. */
  countSliceRows?: number;
}

function isBusy(err: unknown): boolean {
  return err instanceof Database.SqliteError && err.code.startsWith('SQLITE_BUSY');
}

/**
 * Runs `fn` (a write) again, after a growing pause, while another process holds SQLite's write
 * lock; gives up with SQLite's own error after BUSY_DEADLINE_MS.
 */
async function retryWhileBusy<R>(fn: () => R): Promise<R> {
  const deadline = Date.now() + BUSY_DEADLINE_MS;
  for (let pause = 1; ; pause = Math.min(pause * 2, MAX_BACKOFF_MS)) {
    try {
      return fn();
    } catch (err) {
      if (!isBusy(err) || Date.now() >= deadline) throw err;
    }
    // Jitter, so that waiting processes do not retry in step.
    await new Promise((resolve) => setTimeout(resolve, pause / 2 + Math.random() * pause));
  }
}

interface RowRecord {
  seq: number;
  account: string;
  region: string;
  id: string;
  data: string;
  due: number | null;
}

type Key = { tbl: string; account: string; region: string; id: string };

/** A row of countGroupedBy's statement, raw: the fields' values, then the count. */
type GroupRow = (string | number | null)[];

function statements(db: Database.Database) {
  const grouped = new Map<number, Database.Statement<unknown[], GroupRow>>();
  const key = 'tbl = @tbl AND account = @account AND region = @region AND id = @id';
  // A write that changes the due time ends a claim (store.ts PutOptions.due).
  const claim = 'CASE WHEN due IS @due THEN claimed_until ELSE NULL END';
  return {
    // pluck(): the JSON text itself, no row object per lookup (the hot path of every request).
    // Positional parameters: binding by name costs a lookup per value, on every request.
    get: db
      .prepare<[string, string, string, string], string>(
        `SELECT data FROM kmsd_rows WHERE tbl = ? AND account = ? AND region = ? AND id = ?`,
      )
      .pluck(),
    getVersioned: db.prepare<[Key], { data: string; version: number }>(`SELECT data, version FROM kmsd_rows WHERE ${key}`),
    insert: db.prepare<[Key & { data: string; due: number | null }]>(
      `INSERT INTO kmsd_rows (tbl, account, region, id, data, due) VALUES (@tbl, @account, @region, @id, @data, @due)
       ON CONFLICT (tbl, account, region, id) DO NOTHING`,
    ),
    update: db
      .prepare<[Key & { data: string; due: number | null; version: number }], number>(
        `UPDATE kmsd_rows SET data = @data, version = version + 1, claimed_until = ${claim}, due = @due
         WHERE ${key} AND version = @version RETURNING version`,
      )
      .pluck(),
    // Upsert keeps the row's seq, so replacing a row does not move it in listings.
    put: db.prepare<[Key & { data: string; due: number | null }]>(
      `INSERT INTO kmsd_rows (tbl, account, region, id, data, due) VALUES (@tbl, @account, @region, @id, @data, @due)
       ON CONFLICT (tbl, account, region, id) DO UPDATE SET data = excluded.data, version = version + 1,
         claimed_until = CASE WHEN due IS excluded.due THEN claimed_until ELSE NULL END, due = excluded.due`,
    ),
    del: db.prepare<[Key]>(`DELETE FROM kmsd_rows WHERE ${key}`),
    list: db.prepare<[{ tbl: string; account: string; region: string; after: number; prefix: string; limit: number }], RowRecord>(
      `SELECT seq, id, data FROM kmsd_rows WHERE tbl = @tbl AND account = @account AND region = @region AND seq > @after
       AND substr(id, 1, length(@prefix)) = @prefix ORDER BY seq LIMIT @limit`,
    ),
    count: db
      .prepare<[{ tbl: string; account: string; region: string; prefix: string }], number>(
        `SELECT count(*) FROM kmsd_rows WHERE tbl = @tbl AND account = @account AND region = @region
         AND substr(id, 1, length(@prefix)) = @prefix`,
      )
      .pluck(),
    // Without a prefix: the scope's count, kept by triggers (migrations.ts kmsd_row_counts),
    // one row to read however many the scope has.
    countAll: db
      .prepare<[{ tbl: string; account: string; region: string }], number>(
        `SELECT n FROM kmsd_row_counts WHERE tbl = @tbl AND account = @account AND region = @region AND shard = 0`,
      )
      .pluck(),
    claim: db.prepare<[{ tbl: string; time: number; until: number; limit: number }], RowRecord>(
      `UPDATE kmsd_rows SET claimed_until = @until WHERE seq IN (
         SELECT seq FROM kmsd_rows WHERE tbl = @tbl AND due IS NOT NULL AND due <= @time
         AND (claimed_until IS NULL OR claimed_until <= @time) ORDER BY due, seq LIMIT @limit)
       RETURNING seq, account, region, id, data, due`,
    ),
    all: db.prepare<[string], RowRecord>(`SELECT seq, account, region, id, data FROM kmsd_rows WHERE tbl = ? ORDER BY seq`),
    firstSeq: db.prepare<[], number | null>('SELECT min(seq) FROM kmsd_rows').pluck(),
    lastSeq: db.prepare<[], number | null>('SELECT max(seq) FROM kmsd_rows').pluck(),
    /**
     * countGroupedBy over the rows of one seq range (the primary key's, so a slice costs its
     * own rows only), with one json_extract path per field. The unary + keeps SQLite from
     * choosing kmsd_rows_list for `tbl =`, which would walk the whole table in every slice.
     */
    countGrouped(fields: number): Database.Statement<unknown[], GroupRow> {
      let statement = grouped.get(fields);
      if (!statement) {
        const names = Array.from({ length: fields }, (_, i) => `v${i}`);
        const values = names.map((v) => `json_extract(data, ?) AS ${v}`).join(', ');
        statement = db
          .prepare<unknown[], GroupRow>(
            `SELECT ${values}, count(*) FROM kmsd_rows WHERE +tbl = ? AND seq > ? AND seq <= ? GROUP BY ${names.join(', ')}`,
          )
          .raw();
        grouped.set(fields, statement);
      }
      return statement;
    },
  };
}

/** Most transactions one COMMIT carries: bounds how long the first of a batch waits for its answer. */
const MAX_BATCH = 100;

interface Queued {
  fn: () => Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** A transaction of the open batch that ran to its end: answered once the batch commits. */
interface Ran extends Queued {
  value: unknown;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly stmts: ReturnType<typeof statements>;
  private readonly tables = new Map<string, SqliteTable<unknown>>();
  /** Tables first used inside the open transaction: their CREATE TABLE is undone by a rollback. */
  private readonly createdInTransaction: string[] = [];
  private readonly inTransaction = new AsyncLocalStorage<true>();
  /** Transactions waiting for their turn, in arrival order. */
  private readonly queue: Queued[] = [];
  /** Runs the queue while it has transactions; undefined when idle. */
  private draining: Promise<void> | undefined;
  /** Transactions running or waiting. */
  private waiting = 0;
  private readonly feed: ChangeFeedHub;
  /** Commits by anyone, seen without a read transaction (undefined in memory, or when unreadable). */
  private readonly walWatch: WalIndexWatch | undefined;
  private readonly countSliceRows: number;

  /** `path` is a file, or ':memory:'. Migrates the schema before returning. */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.countSliceRows = options.countSliceRows ?? COUNT_SLICE_ROWS;
    if (!Number.isInteger(this.countSliceRows) || this.countSliceRows < 1) throw new Error('countSliceRows must be a positive integer');
    // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database's mode.
    // Only when missing: closing a descriptor of a file that another store of this process has
    // open would drop the POSIX locks SQLite holds on it (wal-index-watch.ts).
    if (path !== ':memory:' && !existsSync(path)) closeSync(openSync(path, 'a', 0o600));
    this.db = new Database(path, { timeout: OPEN_BUSY_TIMEOUT_MS });
    this.db.pragma('journal_mode = WAL');
    // FULL: each commit is fsynced before it returns, so an acknowledged write survives a power loss.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.stmts = statements(this.db);
    const inside = () => this.inTransaction.getStore() === true;
    this.walWatch = path === ':memory:' ? undefined : WalIndexWatch.open(path);
    this.feed = path === ':memory:' ? new ChangeFeedHub(inside) : sharedFileFeed(this.db, inside, this.walWatch);
  }

  table<T>(name: string): Table<T> {
    let t = this.tables.get(name);
    if (!t) {
      if (!TABLE_NAME.test(name)) throw new Error(`bad table name ${name}`);
      t = new SqliteTable<unknown>(this.stmts, name, (write) => this.write(write), this.feed, this.countSliceRows);
      this.tables.set(name, t);
      if (this.db.inTransaction) this.createdInTransaction.push(name);
    }
    return t as Table<T>;
  }

  /** The constructor has migrated already (under SQLite's write lock, so once across processes). */
  async open(): Promise<void> {}

  async transaction<R>(fn: () => Promise<R>): Promise<R> {
    if (this.inTransaction.getStore()) return fn();
    this.waiting++;
    try {
      return await new Promise<R>((resolve, reject) => {
        this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
        this.draining ??= this.drain().finally(() => (this.draining = undefined));
      });
    } finally {
      // An enabled AsyncLocalStorage (Node 20: async hooks) taxes every promise of every
      // request. Keep it on only while transactions run or wait; run() turns it back on.
      if (--this.waiting === 0) this.inTransaction.disable();
    }
  }

  changes(): ChangeFeed {
    return this.feed;
  }

  async close(): Promise<void> {
    await this.draining;
    this.db.close();
    // After the connection: its descriptor of the -shm file holds SQLite's locks (wal-index-watch.ts).
    this.walWatch?.close();
  }

  /** A write outside any transaction is one of its own, so it too is answered once on disk. */
  private async write<R>(fn: () => R): Promise<R> {
    if (this.inTransaction.getStore()) return fn();
    return this.transaction(async () => fn());
  }

  /** Runs queued transactions in batches, one COMMIT each, until the queue is empty. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      try {
        await retryWhileBusy(() => this.db.exec('BEGIN IMMEDIATE'));
      } catch (err) {
        for (const queued of this.queue.splice(0)) queued.reject(err);
        return;
      }
      // While the batch is open, a read outside it on this connection can see its uncommitted
      // writes: the change feed tells caches not to keep what they read until it ends.
      this.feed.transactionStarted();
      const batch: Ran[] = [];
      try {
        while (this.queue.length > 0 && batch.length < MAX_BATCH && this.db.inTransaction) {
          const queued = this.queue.shift() as Queued;
          await this.runInSavepoint(queued, batch);
          // Requests that arrived meanwhile may be one turn of the event loop away from their
          // transaction: let them join this batch rather than wait for the next fsync.
          if (this.queue.length === 0 && this.db.inTransaction) await new Promise(setImmediate);
        }
        this.commit(batch);
      } finally {
        this.feed.transactionEnded();
      }
    }
  }

  /** Runs one transaction of the batch; its own failure undoes only its writes. */
  private async runInSavepoint(queued: Queued, batch: Ran[]): Promise<void> {
    try {
      this.db.exec('SAVEPOINT kmsd_tx');
      const value = await this.inTransaction.run(true, queued.fn);
      this.db.exec('RELEASE kmsd_tx');
      batch.push({ ...queued, value });
    } catch (err) {
      queued.reject(err);
      try {
        this.db.exec('ROLLBACK TO kmsd_tx');
        this.db.exec('RELEASE kmsd_tx');
      } catch {
        // SQLite rolls the whole transaction back by itself after some errors (disk full,
        // I/O error): the batch's earlier writes are gone too, for the same reason.
        this.abandon(batch, err);
      }
    }
  }

  private commit(batch: Ran[]): void {
    try {
      if (this.db.inTransaction) this.db.exec('COMMIT');
    } catch (err) {
      this.abandon(batch, err);
      return;
    }
    this.createdInTransaction.length = 0;
    for (const ran of batch.splice(0)) ran.resolve(ran.value);
  }

  /** Rolls the open transaction back and rejects every transaction of the batch with `err`. */
  private abandon(batch: Ran[], err: unknown): void {
    try {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    } catch {
      // Nothing more to undo: SQLite ends a transaction whose ROLLBACK fails.
    }
    // Forget them, so their next use creates them again (a failed commit, e.g. disk full,
    // would otherwise leave a cached table that does not exist).
    for (const name of this.createdInTransaction) this.tables.delete(name);
    this.createdInTransaction.length = 0;
    for (const ran of batch.splice(0)) ran.reject(err);
  }
}

/**
 * Other processes (workers) may write the same file: PRAGMA data_version changes when another
 * connection commits, and then any row may have changed. That pragma opens a read transaction
 * (two file locks), so it runs only when the WAL-index header shows that someone committed since
 * it last ran (wal-index-watch.ts): this process's own commits move the header too, and the
 * pragma tells them apart. An in-memory database has no other connection and needs no check.
 */
function sharedFileFeed(db: Database.Database, inside: () => boolean, watch: WalIndexWatch | undefined): ChangeFeedHub {
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  let seen = dataVersion.get();
  const feed: ChangeFeedHub = new ChangeFeedHub(inside, () => {
    if (watch?.unchanged()) return true;
    const now = dataVersion.get();
    watch?.remember();
    if (now !== seen) {
      seen = now;
      feed.emit(undefined);
    }
    return true;
  });
  return feed;
}

/** Applies pending migrations in one write transaction (migrations.ts). */
function migrate(db: Database.Database): void {
  // The usual start, and every worker but the first: nothing to apply, no write lock to take.
  if (schemaIsCurrent(db)) return;
  db.transaction(() => {
    db.exec(SCHEMA_TABLE);
    const applied = db.prepare<[], number>('SELECT version FROM kmsd_schema').pluck().all();
    for (const m of pendingMigrations(applied)) {
      db.exec(m.sqlite);
      if (m.version === 1) importLegacyTables(db);
      db.prepare('INSERT INTO kmsd_schema (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    }
  }).immediate();
}

function schemaIsCurrent(db: Database.Database): boolean {
  const hasSchema = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kmsd_schema'`).get() !== undefined;
  return hasSchema && pendingMigrations(db.prepare<[], number>('SELECT version FROM kmsd_schema').pluck().all()).length === 0;
}

/**
 * Data directories made before migrations kept each entity in its own table of the same
 * layout (seq, account, region, id, data, due). Migration 1 moves their rows, in their
 * order, into kmsd_rows and drops them.
 */
function importLegacyTables(db: Database.Database): void {
  const names = db
    .prepare<[], string>(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('kmsd_rows', 'kmsd_schema') ORDER BY name`,
    )
    .pluck()
    .all();
  for (const name of names) {
    const columns = db.prepare<[string], string>('SELECT name FROM pragma_table_info(?) ORDER BY name').pluck().all(name).join(',');
    if (columns !== 'account,data,due,id,region,seq' || !TABLE_NAME.test(name)) continue;
    db.prepare(
      `INSERT INTO kmsd_rows (tbl, account, region, id, data, due) SELECT ?, account, region, id, data, due FROM "${name}" ORDER BY seq`,
    ).run(name);
    db.exec(`DROP TABLE "${name}"`);
  }
}

class SqliteTable<T> implements Table<T> {
  constructor(
    private readonly stmts: ReturnType<typeof statements>,
    private readonly tbl: string,
    private readonly write: <R>(fn: () => R) => Promise<R>,
    private readonly feed: ChangeFeedHub,
    private readonly countSliceRows: number,
  ) {}

  private key(scope: Scope, id: string): Key {
    return { tbl: this.tbl, account: scope.account, region: scope.region, id };
  }

  async get(scope: Scope, id: string): Promise<T | undefined> {
    const data = this.stmts.get.get(this.tbl, scope.account, scope.region, id);
    return data === undefined ? undefined : (JSON.parse(data) as T);
  }

  async getVersioned(scope: Scope, id: string): Promise<Versioned<T> | undefined> {
    const r = this.stmts.getVersioned.get(this.key(scope, id));
    return r && { row: JSON.parse(r.data) as T, version: r.version };
  }

  async insert(scope: Scope, id: string, row: T, options: PutOptions = {}): Promise<void> {
    const params = { ...this.key(scope, id), data: JSON.stringify(row), due: options.due ?? null };
    const { changes } = await this.write(() => this.stmts.insert.run(params));
    this.feed.written(this.tbl, scope, id);
    if (changes === 0) throw new RowExistsError(this.tbl, id);
  }

  async update(scope: Scope, id: string, row: T, version: number, options: PutOptions = {}): Promise<number> {
    const params = { ...this.key(scope, id), data: JSON.stringify(row), due: options.due ?? null, version };
    const next = await this.write(() => this.stmts.update.get(params));
    this.feed.written(this.tbl, scope, id);
    if (next === undefined) throw new VersionConflictError(this.tbl, id);
    return next;
  }

  async put(scope: Scope, id: string, row: T, options: PutOptions = {}): Promise<void> {
    const params = { ...this.key(scope, id), data: JSON.stringify(row), due: options.due ?? null };
    await this.write(() => this.stmts.put.run(params));
    this.feed.written(this.tbl, scope, id);
  }

  async delete(scope: Scope, id: string): Promise<boolean> {
    const key = this.key(scope, id);
    const deleted = await this.write(() => this.stmts.del.run(key).changes > 0);
    this.feed.written(this.tbl, scope, id);
    return deleted;
  }

  async list(scope: Scope, options: ListOptions = {}): Promise<Page<T>> {
    const after = options.marker === undefined ? 0 : decodeMarker(options.marker);
    const limit = options.limit ?? 1000;
    const rows = this.stmts.list.all({ tbl: this.tbl, ...scope, after, prefix: options.prefix ?? '', limit: limit + 1 });
    const page = rows.slice(0, limit);
    const items = page.map((r) => JSON.parse(r.data) as T);
    return rows.length > limit ? { items, next: encodeMarker(page[page.length - 1].seq) } : { items };
  }

  async count(scope: Scope, prefix = ''): Promise<number> {
    const where = { tbl: this.tbl, account: scope.account, region: scope.region };
    return (prefix === '' ? this.stmts.countAll.get(where) : this.stmts.count.get({ ...where, prefix })) ?? 0;
  }

  async claimDue(time: number, limit: number, leaseMs: number): Promise<Scoped<T>[]> {
    const params = { tbl: this.tbl, time, until: time + leaseMs, limit };
    const rows = await this.write(() => this.stmts.claim.all(params));
    return byDue(rows).map(toScoped<T>);
  }

  async all(): Promise<Scoped<T>[]> {
    return this.stmts.all.all(this.tbl).map(toScoped<T>);
  }

  /** One statement per slice of seq, the event loop free between them (COUNT_SLICE_ROWS). */
  async countGroupedBy(fields: readonly (keyof T & string)[]): Promise<GroupCount[]> {
    checkFields(fields);
    const statement = this.stmts.countGrouped(fields.length);
    const paths = fields.map((f) => `$.${f}`);
    const first = this.stmts.firstSeq.get() ?? 1;
    const last = this.stmts.lastSeq.get() ?? 0;
    const groups = new Map<string, GroupCount>();
    for (let after = first - 1; after < last; after += this.countSliceRows) {
      if (after >= first) await new Promise(setImmediate);
      for (const row of statement.all(...paths, this.tbl, after, after + this.countSliceRows)) {
        const values = row.slice(0, fields.length).map((v) => (v === null ? null : String(v)));
        const [key, count] = [JSON.stringify(values), Number(row[fields.length])];
        const group = groups.get(key);
        if (group) group.count += count;
        else groups.set(key, { values, count });
      }
    }
    return [...groups.values()];
  }
}
