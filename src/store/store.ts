/**
 * Persistence behind a narrow async interface, so the same services run on the embedded
 * SQLite store and, later, on a shared PostgreSQL.
 *
 * Every entity lives in a named table of typed rows, kept apart by scope (account and
 * region). Domain modules own their row types and table names (e.g. kms/keys.ts), so adding
 * an entity never touches this layer.
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

export interface PutOptions {
  /**
   * When something must happen to this row (deletion window ends, rotation is due, ...),
   * as epoch milliseconds; null for never. Found again by `dueBefore`.
   */
  due?: number | null;
}

export interface Table<T> {
  get(scope: Scope, id: string): Promise<T | undefined>;
  /** Insert or replace. */
  put(scope: Scope, id: string, row: T, options?: PutOptions): Promise<void>;
  delete(scope: Scope, id: string): Promise<boolean>;
  /** In insertion order. Throws InvalidMarkerError for a marker this table did not issue. */
  list(scope: Scope, options?: ListOptions): Promise<Page<T>>;
  count(scope: Scope, prefix?: string): Promise<number>;
  /** Rows in any scope whose `due` time is at or before `time`. */
  dueBefore(time: number, limit: number): Promise<Scoped<T>[]>;
  /** Every row in every scope; only for small tables (key stores, clusters). */
  all(): Promise<Scoped<T>[]>;
}

export interface Store {
  table<T>(name: string): Table<T>;
  /**
   * Runs a read-modify-write atomically: no other write interleaves, and a thrown error
   * rolls every write inside it back. Nested calls join the outer transaction.
   */
  transaction<R>(fn: () => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

export class InvalidMarkerError extends Error {
  constructor() {
    super('Invalid marker');
  }
}
