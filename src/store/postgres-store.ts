/**
 * The shared store: one PostgreSQL database that several kmsd nodes use at once, through a
 * pool of connections (node-postgres). The rows live in kmsd_rows as on SQLite
 * (migrations.ts); what differs is how writers from several processes are kept apart:
 *
 * - Transactions run SERIALIZABLE. One that loses a race (serialization failure, deadlock)
 *   is rolled back and run again, up to MAX_ATTEMPTS times, retries one at a time across
 *   nodes: store.ts says why their functions must have no side effects.
 * - `insert` is INSERT ... ON CONFLICT DO NOTHING, so a taken id is a typed error that does
 *   not abort the surrounding transaction.
 * - `claimDue` takes due rows with FOR UPDATE SKIP LOCKED and leases them, so each due row
 *   goes to one node.
 * - Migrations run under a transaction-scoped advisory lock, so nodes starting together
 *   apply each one once.
 *
 * Commits use the server's durable defaults (synchronous_commit on).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { byDue, checkFields, decodeMarker, encodeMarker, RowExistsError, TABLE_NAME, toScoped, VersionConflictError } from './store.js';
import type { ChangeFeed, GroupCount, ListOptions, Page, PutOptions, Scope, Scoped, Store, Table, Versioned } from './store.js';
import { ChangeFeedHub } from './change-feed.js';
import { PostgresChangeListener } from './postgres-listener.js';
import { pendingMigrations, SCHEMA_TABLE } from './migrations.js';

/** Serialization failure and deadlock: PostgreSQL's signals that a rerun may succeed. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 20;
/** Any constants: the advisory locks that serialize migrations, and retried transactions, across nodes. */
const MIGRATION_LOCK = 0x6b6d7364;
const RETRY_LOCK = 0x6b6d7372;

interface Tx {
  client: pg.PoolClient;
  /** A retryable error a query met, even if the function caught it: the transaction is doomed. */
  retryable: boolean;
}

export interface PostgresStoreOptions {
  /** Connections in the pool (default 10). */
  max?: number;
}

export class PostgresStore implements Store {
  private readonly pool: pg.Pool;
  private readonly tx = new AsyncLocalStorage<Tx>();
  private readonly tables = new Map<string, PostgresTable<unknown>>();
  /** Transactions running: AsyncLocalStorage stays enabled only while there are some. */
  private active = 0;
  private readonly feed: ChangeFeedHub;
  private readonly listener: PostgresChangeListener;

  constructor(connectionString: string, options: PostgresStoreOptions = {}) {
    this.feed = new ChangeFeedHub(
      () => this.tx.getStore() !== undefined,
      () => this.listener.trusted(),
    );
    this.listener = new PostgresChangeListener(connectionString, this.feed);
    // A database that cannot be reached fails the request (KMSInternalException) after a
    // bounded wait instead of holding it open.
    this.pool = new pg.Pool({ connectionString, max: options.max ?? 10, connectionTimeoutMillis: 10_000 });
    // An idle connection that the server drops must not crash the process; the next
    // query gets a fresh one.
    this.pool.on('error', () => undefined);
    // One that breaks while checked out (the database server went away) emits 'error' on its
    // client, which without a listener would crash the process. The query under way fails
    // with the same error, and node-postgres discards the broken client on release. The
    // listener is added once per connection: adding it at each checkout would pile them up.
    this.pool.on('connect', (client) => client.on('error', ignoreError));
  }

  table<T>(name: string): Table<T> {
    let t = this.tables.get(name);
    if (!t) {
      if (!TABLE_NAME.test(name)) throw new Error(`bad table name ${name}`);
      t = new PostgresTable<unknown>(name, (text, values) => this.query(text, values), this.feed);
      this.tables.set(name, t);
    }
    return t as Table<T>;
  }

  async open(): Promise<void> {
    // A session-level lock taken before the transaction begins: a node that waited for it
    // then reads the schema versions the first node committed, not an older snapshot.
    const client = await this.checkout();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      try {
        await client.query('BEGIN');
        await client.query(SCHEMA_TABLE);
        const applied = (await client.query<{ version: number }>('SELECT version FROM kmsd_schema')).rows.map((r) => r.version);
        for (const m of pendingMigrations(applied)) {
          await client.query(m.postgres);
          await client.query('INSERT INTO kmsd_schema (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
    await this.listener.start();
  }

  async transaction<R>(fn: () => Promise<R>): Promise<R> {
    if (this.tx.getStore()) return fn();
    this.active++;
    this.feed.transactionStarted();
    try {
      for (let attempt = 1; ; attempt++) {
        const client = await this.checkout();
        const tx: Tx = { client, retryable: false };
        // A first attempt runs optimistically. A transaction that lost a race runs again
        // holding a lock that every retry, on every node, takes: retries then go one at a
        // time and contend only with first attempts, so a hot spot (many CreateKey calls
        // counting one account's keys) drains instead of aborting the same work over and
        // over. Taken before BEGIN, so the transaction's snapshot comes after the wait.
        const serialized = attempt > 1;
        let broken = false;
        try {
          if (serialized) await client.query('SELECT pg_advisory_lock($1)', [RETRY_LOCK]);
          await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
          const result = await this.tx.run(tx, fn);
          await this.run(tx, 'COMMIT');
          return result;
        } catch (err) {
          try {
            await client.query('ROLLBACK');
          } catch {
            broken = true; // the connection is gone: do not hand it back to the pool
          }
          if (!(tx.retryable && attempt < MAX_ATTEMPTS)) throw err;
        } finally {
          if (serialized && !broken) {
            await client.query('SELECT pg_advisory_unlock($1)', [RETRY_LOCK]).catch(() => (broken = true));
          }
          client.release(broken);
        }
      }
    } finally {
      this.feed.transactionEnded();
      if (--this.active === 0) this.tx.disable();
    }
  }

  changes(): ChangeFeed {
    return this.feed;
  }

  async close(): Promise<void> {
    await this.listener.close();
    await this.pool.end();
  }

  /** A connection of the pool for a transaction (errors: the pool's 'connect' listener). */
  private checkout(): Promise<pg.PoolClient> {
    return this.pool.connect();
  }

  /** A query joins the caller's transaction, if any; otherwise it runs on its own. */
  private query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    const tx = this.tx.getStore();
    return tx ? this.run<R>(tx, text, values) : this.pool.query<R>(text, values);
  }

  private async run<R extends pg.QueryResultRow>(tx: Tx, text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await tx.client.query<R>(text, values);
    } catch (err) {
      if (RETRYABLE.has((err as { code?: string }).code ?? '')) tx.retryable = true;
      throw err;
    }
  }
}

function ignoreError(): void {}

type Query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

interface RowRecord {
  seq: string;
  account: string;
  region: string;
  id: string;
  data: string;
  due: string | null;
}

const KEY = 'tbl = $1 AND account = $2 AND region = $3 AND id = $4';
/** A write that changes the due time ends a claim (store.ts PutOptions.due). */
const CLAIM = (due: string) => `CASE WHEN kmsd_rows.due IS NOT DISTINCT FROM ${due} THEN kmsd_rows.claimed_until ELSE NULL END`;

class PostgresTable<T> implements Table<T> {
  constructor(
    private readonly tbl: string,
    private readonly query: Query,
    /** This node's own writes reach its caches at once, without waiting for their NOTIFY. */
    private readonly feed: ChangeFeedHub,
  ) {}

  private key(scope: Scope, id: string): unknown[] {
    return [this.tbl, scope.account, scope.region, id];
  }

  async get(scope: Scope, id: string): Promise<T | undefined> {
    return (await this.getVersioned(scope, id))?.row;
  }

  async getVersioned(scope: Scope, id: string): Promise<Versioned<T> | undefined> {
    const { rows } = await this.query<{ data: string; version: number }>(
      `SELECT data, version FROM kmsd_rows WHERE ${KEY}`,
      this.key(scope, id),
    );
    return rows[0] && { row: JSON.parse(rows[0].data) as T, version: rows[0].version };
  }

  async insert(scope: Scope, id: string, row: T, options: PutOptions = {}): Promise<void> {
    const { rowCount } = await this.query(
      `INSERT INTO kmsd_rows (tbl, account, region, id, data, due) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tbl, account, region, id) DO NOTHING`,
      [...this.key(scope, id), JSON.stringify(row), options.due ?? null],
    );
    this.feed.written(this.tbl, scope, id);
    if (rowCount === 0) throw new RowExistsError(this.tbl, id);
  }

  async update(scope: Scope, id: string, row: T, version: number, options: PutOptions = {}): Promise<number> {
    const { rows } = await this.query<{ version: number }>(
      `UPDATE kmsd_rows SET data = $5, version = version + 1, claimed_until = ${CLAIM('$6::bigint')}, due = $6
       WHERE ${KEY} AND version = $7 RETURNING version`,
      [...this.key(scope, id), JSON.stringify(row), options.due ?? null, version],
    );
    this.feed.written(this.tbl, scope, id);
    if (rows.length === 0) throw new VersionConflictError(this.tbl, id);
    return rows[0].version;
  }

  async put(scope: Scope, id: string, row: T, options: PutOptions = {}): Promise<void> {
    // Upsert keeps the row's seq, so replacing a row does not move it in listings.
    await this.query(
      `INSERT INTO kmsd_rows (tbl, account, region, id, data, due) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tbl, account, region, id) DO UPDATE SET data = excluded.data, version = kmsd_rows.version + 1,
         claimed_until = ${CLAIM('excluded.due')}, due = excluded.due`,
      [...this.key(scope, id), JSON.stringify(row), options.due ?? null],
    );
    this.feed.written(this.tbl, scope, id);
  }

  async delete(scope: Scope, id: string): Promise<boolean> {
    const { rowCount } = await this.query(`DELETE FROM kmsd_rows WHERE ${KEY}`, this.key(scope, id));
    this.feed.written(this.tbl, scope, id);
    return (rowCount ?? 0) > 0;
  }

  async list(scope: Scope, options: ListOptions = {}): Promise<Page<T>> {
    const after = options.marker === undefined ? 0 : decodeMarker(options.marker);
    const limit = options.limit ?? 1000;
    const { rows } = await this.query<RowRecord>(
      `SELECT seq, data FROM kmsd_rows WHERE tbl = $1 AND account = $2 AND region = $3 AND seq > $4
       AND starts_with(id, $5) ORDER BY seq LIMIT $6`,
      [this.tbl, scope.account, scope.region, after, options.prefix ?? '', limit + 1],
    );
    const page = rows.slice(0, limit);
    const items = page.map((r) => JSON.parse(r.data) as T);
    return rows.length > limit ? { items, next: encodeMarker(Number(page[page.length - 1].seq)) } : { items };
  }

  async count(scope: Scope, prefix = ''): Promise<number> {
    const where = [this.tbl, scope.account, scope.region];
    // Without a prefix: the sum of the scope's count shards, kept by triggers (migrations.ts
    // kmsd_row_counts), a few rows to read however many the scope has.
    const { rows } =
      prefix === ''
        ? await this.query<{ n: string | null }>(
            'SELECT sum(n) AS n FROM kmsd_row_counts WHERE tbl = $1 AND account = $2 AND region = $3',
            where,
          )
        : await this.query<{ n: string }>(
            'SELECT count(*) AS n FROM kmsd_rows WHERE tbl = $1 AND account = $2 AND region = $3 AND starts_with(id, $4)',
            [...where, prefix],
          );
    return Number(rows[0].n ?? 0);
  }

  async claimDue(time: number, limit: number, leaseMs: number): Promise<Scoped<T>[]> {
    // SKIP LOCKED: rows another node is claiming right now are left to it, not waited for.
    const { rows } = await this.query<RowRecord>(
      `UPDATE kmsd_rows r SET claimed_until = $3 FROM (
         SELECT seq FROM kmsd_rows WHERE tbl = $1 AND due IS NOT NULL AND due <= $2
         AND (claimed_until IS NULL OR claimed_until <= $2) ORDER BY due, seq LIMIT $4 FOR UPDATE SKIP LOCKED) c
       WHERE r.seq = c.seq RETURNING r.seq, r.account, r.region, r.id, r.data, r.due`,
      [this.tbl, time, time + leaseMs, limit],
    );
    return byDue(rows.map((r) => ({ ...r, seq: Number(r.seq), due: Number(r.due) }))).map(toScoped<T>);
  }

  async all(): Promise<Scoped<T>[]> {
    const { rows } = await this.query<RowRecord>('SELECT account, region, id, data FROM kmsd_rows WHERE tbl = $1 ORDER BY seq', [this.tbl]);
    return rows.map(toScoped<T>);
  }

  /**
   * One statement: it waits on the database, not on this process's event loop. `data` is
   * text (migrations.ts), so each row is parsed as json for the count.
   */
  async countGroupedBy(fields: readonly (keyof T & string)[]): Promise<GroupCount[]> {
    checkFields(fields);
    const values = fields.map((_, i) => `data::json ->> $${i + 2}::text`);
    const { rows } = await this.query<{ v: (string | null)[]; n: string }>(
      `SELECT ARRAY[${values.join(', ')}] AS v, count(*) AS n FROM kmsd_rows WHERE tbl = $1 GROUP BY 1`,
      [this.tbl, ...fields],
    );
    return rows.map((r) => ({ values: r.v, count: Number(r.n) }));
  }
}
