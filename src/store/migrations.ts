/**
 * Versioned schema migrations, the same steps on both backends. Each database records the
 * versions it has (table kmsd_schema); at start a store applies the ones it lacks, in order,
 * inside one transaction, and refuses a database newer than this kmsd (a rolling upgrade
 * must not let an old node write rows it no longer understands).
 *
 * Append new migrations; never edit one that has shipped.
 */
export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

/** One table for every entity: typed rows are JSON, kept apart by table name and scope. */
const ROWS = (seq: string, bigint: string) => `
  CREATE TABLE kmsd_rows (
    seq ${seq},
    tbl TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL, id TEXT NOT NULL,
    data TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    due ${bigint},
    claimed_until ${bigint},
    UNIQUE (tbl, account, region, id));
  -- Listings page through one scope in insertion order.
  CREATE INDEX kmsd_rows_list ON kmsd_rows (tbl, account, region, seq);
  -- The sweepers look for due rows of one table across scopes.
  CREATE INDEX kmsd_rows_due ON kmsd_rows (tbl, due) WHERE due IS NOT NULL;`;

/**
 * Each table's rows per scope, kept by the database itself (row triggers on kmsd_rows), so
 * counting a scope (Table.count without a prefix) reads a few rows instead of walking the
 * scope's index entries (issue 10: every CreateKey counts its account's keys). Exact and
 * transactional: the count changes in the transaction that inserts or deletes the row, and a
 * rollback takes it back. Only inserted and deleted rows change it: an upsert that replaces
 * a row fires UPDATE triggers, not INSERT ones, on both backends.
 *
 * A scope's count is the sum of its shards. SQLite has one writer at a time and keeps one
 * shard, 0. On PostgreSQL two serializable transactions that change one counter row conflict
 * (one of them runs again, one at a time), so a row counts in shard seq % COUNT_SHARDS: rows
 * inserted at about the same time have neighbouring seqs, and so different shards. A prime
 * number of shards, so that rows of one table whose seqs are a fixed step apart (a CreateKey
 * inserts its key material, then its key) still use every shard; and more than the
 * transactions 3 nodes (10 connections each) run at once, at 2 rows each. A delete's row is
 * uncounted from the shard its insert counted it in (seq does not change). Each change is
 * an upsert of +1 or -1; counts that reach zero stay.
 */
export const COUNT_SHARDS = 61;

const ROW_COUNTS = (options: string) => `
  CREATE TABLE kmsd_row_counts (
    tbl TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL, shard INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (tbl, account, region, shard)) ${options};`;

/** Adds `delta` to the count of row `r` (NEW or OLD) in `shard`. */
const COUNT = (r: string, delta: number, shard: string) => `
  INSERT INTO kmsd_row_counts (tbl, account, region, shard, n) VALUES (${r}.tbl, ${r}.account, ${r}.region, ${shard}, ${delta})
    ON CONFLICT (tbl, account, region, shard) DO UPDATE SET n = kmsd_row_counts.n + excluded.n;`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'rows',
    sqlite: ROWS('INTEGER PRIMARY KEY AUTOINCREMENT', 'INTEGER'),
    postgres: ROWS('BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY', 'BIGINT'),
  },
  {
    // The change feed (store.ts ChangeFeed): each committed write of a row's data notifies
    // every listening node, with the row's identity as payload (postgres-listener.ts).
    // PostgreSQL sends notifications at commit, and none for a rollback. SQLite needs no
    // schema for it (PRAGMA data_version).
    version: 2,
    name: 'change feed',
    sqlite: 'SELECT 1',
    postgres: `
      CREATE FUNCTION kmsd_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE r kmsd_rows;
      BEGIN
        IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
        PERFORM pg_notify('kmsd_rows', json_build_array(r.tbl, r.account, r.region, r.id)::text);
        RETURN NULL;
      END $$;
      CREATE TRIGGER kmsd_rows_written AFTER INSERT OR DELETE ON kmsd_rows
        FOR EACH ROW EXECUTE FUNCTION kmsd_rows_changed();
      -- A claim (claimDue) changes only claimed_until: no one caches that.
      CREATE TRIGGER kmsd_rows_updated AFTER UPDATE ON kmsd_rows
        FOR EACH ROW WHEN (OLD.data IS DISTINCT FROM NEW.data) EXECUTE FUNCTION kmsd_rows_changed();`,
  },
  {
    // Rows already there are counted once, by the migration (the triggers count later writes).
    version: 3,
    name: 'row counts',
    sqlite: `${ROW_COUNTS('WITHOUT ROWID')}
      CREATE TRIGGER kmsd_rows_counted AFTER INSERT ON kmsd_rows BEGIN ${COUNT('NEW', 1, '0')} END;
      CREATE TRIGGER kmsd_rows_uncounted AFTER DELETE ON kmsd_rows BEGIN ${COUNT('OLD', -1, '0')} END;
      INSERT INTO kmsd_row_counts (tbl, account, region, shard, n)
        SELECT tbl, account, region, 0, count(*) FROM kmsd_rows GROUP BY tbl, account, region;`,
    postgres: `
      -- Writers (nodes of the previous kmsd too) wait from here until the migration commits:
      -- the back-fill below sees every committed row, and no row is counted twice or not at all.
      LOCK TABLE kmsd_rows IN SHARE ROW EXCLUSIVE MODE;
      ${ROW_COUNTS('')}
      CREATE FUNCTION kmsd_rows_count() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN ${COUNT('NEW', 1, `NEW.seq % ${COUNT_SHARDS}`)}
        ELSE ${COUNT('OLD', -1, `OLD.seq % ${COUNT_SHARDS}`)}
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER kmsd_rows_counted AFTER INSERT OR DELETE ON kmsd_rows
        FOR EACH ROW EXECUTE FUNCTION kmsd_rows_count();
      INSERT INTO kmsd_row_counts (tbl, account, region, shard, n)
        SELECT tbl, account, region, seq % ${COUNT_SHARDS}, count(*) FROM kmsd_rows GROUP BY tbl, account, region, seq % ${COUNT_SHARDS};`,
  },
];

export const SCHEMA_TABLE =
  'CREATE TABLE IF NOT EXISTS kmsd_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)';

/** The migrations a database at `applied` (its versions) still needs; throws if it is newer than this kmsd. */
export function pendingMigrations(applied: number[]): Migration[] {
  const known = MIGRATIONS.length === 0 ? 0 : MIGRATIONS[MIGRATIONS.length - 1].version;
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    throw new Error(`the database has schema version ${newest}, newer than this kmsd knows (${known}); upgrade kmsd`);
  }
  const have = new Set(applied);
  return MIGRATIONS.filter((m) => !have.has(m.version));
}
