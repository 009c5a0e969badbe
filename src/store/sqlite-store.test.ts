/** What only the SQLite store does: the in-process write queue and its migrations. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from './sqlite-store.js';
import { MIGRATIONS } from './migrations.js';

const A = { account: '111111111111', region: 'us-east-1' };
const LATEST = MIGRATIONS[MIGRATIONS.length - 1].version;

const open: SqliteStore[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kmsd-store-'));
  dirs.push(dir);
  return join(dir, 'kmsd.sqlite');
}

describe('SqliteStore', () => {
  it('makes a write outside a transaction wait for an open one', async () => {
    const store = new SqliteStore(':memory:');
    open.push(store);
    const t = store.table<{ n: number }>('things');
    const order: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const tx = store.transaction(async () => {
      await t.put(A, 'x', { n: 1 });
      order.push('tx write');
      await gate;
      order.push('tx end');
    });
    await new Promise((r) => setTimeout(r, 5));
    const outside = t.put(A, 'y', { n: 2 }).then(() => order.push('outside write'));
    await new Promise((r) => setTimeout(r, 5));
    release();
    await Promise.all([tx, outside]);
    expect(order).toEqual(['tx write', 'tx end', 'outside write']);
  });

  it('moves the rows of a data directory made before migrations into the new layout', async () => {
    const file = tempFile();
    const db = new Database(file);
    db.exec(`CREATE TABLE kms_aliases (seq INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, region TEXT NOT NULL,
      id TEXT NOT NULL, data TEXT NOT NULL, due INTEGER, UNIQUE (account, region, id))`);
    db.exec(`CREATE TABLE unrelated (x TEXT)`);
    const insert = db.prepare('INSERT INTO kms_aliases (account, region, id, data, due) VALUES (?, ?, ?, ?, ?)');
    insert.run(A.account, A.region, 'alias/b', '{"n":1}', null);
    insert.run(A.account, A.region, 'alias/a', '{"n":2}', 50);
    db.close();

    const store = new SqliteStore(file);
    open.push(store);
    const t = store.table<{ n: number }>('kms_aliases');
    expect((await t.list(A)).items).toEqual([{ n: 1 }, { n: 2 }]);
    expect((await t.claimDue(50, 10, 1)).map((r) => r.id)).toEqual(['alias/a']);
    await store.close();

    const after = new Database(file, { readonly: true });
    const tables = after
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all();
    const versions = after.prepare('SELECT version FROM kmsd_schema ORDER BY version').pluck().all();
    after.close();
    expect(tables).toEqual(['kmsd_rows', 'kmsd_schema', 'unrelated']);
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('refuses a database migrated by a newer kmsd', () => {
    const file = tempFile();
    new SqliteStore(file).close();
    const db = new Database(file);
    db.prepare('INSERT INTO kmsd_schema (version, name, applied_at) VALUES (?, ?, ?)').run(LATEST + 1, 'future', 0);
    db.close();
    expect(() => new SqliteStore(file)).toThrow(
      `the database has schema version ${LATEST + 1}, newer than this kmsd knows (${LATEST}); upgrade kmsd`,
    );
  });
});
