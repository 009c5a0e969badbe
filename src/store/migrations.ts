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
