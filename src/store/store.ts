/**
 * Persistence behind a narrow async interface, so the same services run on the embedded
 * SQLite store (one process) and on a shared PostgreSQL (several kmsd nodes).
 *
 * Every entity lives in a named table of typed rows, kept apart by scope (account and
 * region). Domain modules own their row types and table names (e.g. kms/keys.ts), so adding
 * an entity never touches this layer.
 *
 * The contract holds with several writers, not only under SQLite's process-wide lock:
 * - `insert` is create-only: two nodes creating the same id give one success and one
 *   RowExistsError (alias names, key ids).
 * - Every row carries a version, bumped by each write; `update` is a compare-and-set on it.
 * - `transaction` is serializable. On PostgreSQL a transaction that loses a race is rolled
 *   back and **run again from the start**, so its function must have no effect outside the
 *   store: no HSM or network call, no timer, no log line, no change to process memory that a
 *   second run would repeat. Do those before the transaction, or after it commits.
 * - `claimDue` hands each due row to one node at a time (a lease), for work with effects
 *   outside the store (deletions, rotations, HSM connects).
 * - `changes()` tells a process which rows were written, by itself or by any other process or
 *   node on the same database, so it may cache rows it reads on every request (row-cache.ts).
 */

export interface Scope {
  account: string;
  region: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque marker for the next page, absent on the last page. */
  next?: string;
}

export interface ListOptions {
  limit?: number;
  /** A marker returned by an earlier page of the same listing. */
  marker?: string;
  /** Only ids that start with this prefix. */
  prefix?: string;
}

export interface Scoped<T> {
  scope: Scope;
  id: string;
  row: T;
}

/** One group of `countGroupedBy`: the fields' values, in the order asked, and its number of rows. */
export interface GroupCount {
  values: (string | null)[];
  count: number;
}

export interface Versioned<T> {
  row: T;
  /** Starts at 1 on insert; each write adds one. */
  version: number;
}

export interface PutOptions {
  /**
   * When something must happen to this row (deletion window ends, rotation is due, ...),
   * as epoch milliseconds; null (the default) for never. Found again by `claimDue`. A write
   * that changes the due time ends any claim on the row: the work it describes is new.
   */
  due?: number | null;
}

export interface Table<T> {
  get(scope: Scope, id: string): Promise<T | undefined>;
  getVersioned(scope: Scope, id: string): Promise<Versioned<T> | undefined>;
  /** Create-only: throws RowExistsError when the id is taken, and writes nothing. */
  insert(scope: Scope, id: string, row: T, options?: PutOptions): Promise<void>;
  /**
   * Compare-and-set: replaces the row only if its version is still `version`; otherwise
   * (changed or deleted meanwhile) throws VersionConflictError. Returns the new version.
   */
  update(scope: Scope, id: string, row: T, version: number, options?: PutOptions): Promise<number>;
  /** Insert or replace, whatever the version (inside a transaction that read the row first). */
  put(scope: Scope, id: string, row: T, options?: PutOptions): Promise<void>;
  delete(scope: Scope, id: string): Promise<boolean>;
  /** In insertion order. Throws InvalidMarkerError for a marker this table did not issue. */
  list(scope: Scope, options?: ListOptions): Promise<Page<T>>;
  /**
   * Rows of the scope. Without a prefix, the count the store keeps per table and scope (the
   * same cost at any number of rows); with one, the matching rows are counted (keep it to
   * small sets: one key's aliases or grants).
   */
  count(scope: Scope, prefix?: string): Promise<number>;
  /**
   * Claims up to `limit` rows, in any scope, whose due time is at or before `time` and that
   * no one holds a claim on, earliest first, for `leaseMs` from `time` (same clock). Another
   * caller, on this node or another, gets none of them until the lease runs out or a write
   * changes the row's due time. Work that fails keeps its claim and is retried after the
   * lease. Call it outside any transaction: the claim commits at once.
   */
  claimDue(time: number, limit: number, leaseMs: number): Promise<Scoped<T>[]>;
  /** Every row in every scope; only for small tables (key stores, clusters). */
  all(): Promise<Scoped<T>[]>;
  /**
   * Counts the rows of every scope by the values of top-level fields of the row (names
   * matching GROUP_FIELD, one or more), in the database: for tables too large for `all()`
   * (GET /metrics: keys by state). A missing field or a JSON null reads null. Meant for
   * fields holding strings: another JSON type reads as text in the backend's own spelling.
   * Groups come in no particular order. Not a snapshot: SQLite counts one slice of the table
   * per statement and lets other work run between slices, so a row inserted or deleted
   * meanwhile may or may not be counted (one updated is counted once: it keeps its place).
   */
  countGroupedBy(fields: readonly (keyof T & string)[]): Promise<GroupCount[]>;
}

export interface Store {
  table<T>(name: string): Table<T>;
  /**
   * Applies the schema migrations this version of kmsd knows and the database lacks, once,
   * even when several nodes start together. The server awaits it before serving.
   */
  open(): Promise<void>;
  /**
   * Runs a read-modify-write atomically and serializably: a thrown error rolls every write
   * inside it back. Nested calls join the outer transaction. May run `fn` more than once
   * (see the header): keep side effects out of it.
   */
  transaction<R>(fn: () => Promise<R>): Promise<R>;
  /** The feed of row changes on this database (change-feed.ts). */
  changes(): ChangeFeed;
  close(): Promise<void>;
}

/** One row written (inserted, replaced, updated or deleted). */
export interface RowChange {
  table: string;
  scope: Scope;
  id: string;
}

/**
 * Which rows changed, for caches of rows (row-cache.ts). A write in this process is reported
 * at once, when its statement runs (inside a transaction too, before it commits); a write
 * committed by another process or node is reported when this process learns of it:
 * SQLite at the next `sync()`, PostgreSQL by LISTEN/NOTIFY.
 */
export interface ChangeFeed {
  /**
   * `listener` gets each change; `undefined` means "any row may have changed" (the feed lost
   * track: another process wrote to SQLite, PostgreSQL's listening connection came back).
   * Returns the unsubscribe function.
   */
  subscribe(listener: (change: RowChange | undefined) => void): () => void;
  /**
   * Called before a read that would trust a cache: brings the feed up to date with other
   * writers where that is a cheap local check, and says whether a cache may be trusted now.
   * False while changes made elsewhere could go unseen (PostgreSQL's listener is down or has
   * not been confirmed for a while): then read the store.
   */
  sync(): boolean;
  /**
   * Whether a transaction is open in this process. A row read meanwhile may be one that is
   * about to be rolled back (SQLite shares one connection), so caches do not keep it.
   */
  readonly inTransaction: boolean;
  /**
   * Whether the caller runs inside a transaction: its reads must go to the store, which
   * sees the transaction's own writes and (PostgreSQL) records what it read for the
   * serializability check.
   */
  insideTransaction(): boolean;
}

export class InvalidMarkerError extends Error {
  constructor() {
    super('Invalid marker');
  }
}

/** `insert` found the id taken. */
export class RowExistsError extends Error {
  constructor(
    readonly table: string,
    readonly id: string,
  ) {
    super(`${table}: ${id} already exists`);
  }
}

/** `update` found the row changed (another version) or gone since it was read. */
export class VersionConflictError extends Error {
  constructor(
    readonly table: string,
    readonly id: string,
  ) {
    super(`${table}: ${id} changed since it was read`);
  }
}

/** The only table names either backend accepts (they are stored, never spliced into SQL). */
export const TABLE_NAME = /^[a-z][a-z0-9_]*$/;

/** The field names countGroupedBy accepts: identifiers, so no name means a path in one backend only. */
export const GROUP_FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws unless `fields` are one or more names countGroupedBy accepts. */
export function checkFields(fields: readonly string[]): void {
  if (fields.length === 0) throw new Error('countGroupedBy needs a field');
  for (const f of fields) if (!GROUP_FIELD.test(f)) throw new Error(`bad field name ${JSON.stringify(f)}`);
}

/** How long a row claimed by claimDue stays with its claimant unless a write releases it. */
export const DEFAULT_LEASE_MS = 60_000;

// Markers are opaque to clients; inside they carry the last row's sequence number.
export function encodeMarker(seq: number): string {
  return Buffer.from(`kmsd:${seq}`).toString('base64url');
}

export function decodeMarker(marker: string): number {
  const m = /^kmsd:(\d+)$/.exec(Buffer.from(marker, 'base64url').toString('utf8'));
  if (!m) throw new InvalidMarkerError();
  return Number(m[1]);
}

/** RETURNING gives rows in no promised order; claims go earliest due first. */
export function byDue<R extends { due: number | null; seq: number }>(rows: R[]): R[] {
  return rows.sort((a, b) => Number(a.due) - Number(b.due) || a.seq - b.seq);
}

export function toScoped<T>(r: { account: string; region: string; id: string; data: string }): Scoped<T> {
  return { scope: { account: r.account, region: r.region }, id: r.id, row: JSON.parse(r.data) as T };
}
