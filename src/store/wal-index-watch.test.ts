import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from './sqlite-store.js';
import { WalIndexWatch } from './wal-index-watch.js';

const A = { account: '111122223333', region: 'us-east-1' };
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function databasePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kmsd-wal-watch-'));
  dirs.push(dir);
  return join(dir, 'kmsd.sqlite');
}

/** This process's POSIX locks on the file with inode `ino`, as /proc/locks lists them (Linux). */
function locksHeldOn(ino: number): string[] {
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[4] === String(process.pid) && f[5]?.endsWith(`:${ino}`))
    .map((f) => f.join(' '));
}

describe('WalIndexWatch', () => {
  it("sees every commit, this connection's and another's, and nothing else", async () => {
    const path = databasePath();
    const store = new SqliteStore(path);
    const opened = WalIndexWatch.open(path);
    expect(opened).toBeDefined();
    const watch = opened as WalIndexWatch;
    try {
      // Nothing remembered yet: the caller must make its exact check.
      expect(watch.unchanged()).toBe(false);
      watch.remember();
      expect(watch.unchanged()).toBe(true);
      expect(await store.table('things').get(A, 'x')).toBeUndefined(); // a read commits nothing
      expect(watch.unchanged()).toBe(true);

      await store.table('things').put(A, 'x', { n: 1 });
      expect(watch.unchanged()).toBe(false);
      watch.remember();
      expect(watch.unchanged()).toBe(true);

      const other = new Database(path);
      try {
        other.prepare(`UPDATE kmsd_rows SET data = '{"n":2}' WHERE tbl = 'things' AND id = 'x'`).run();
      } finally {
        other.close();
      }
      expect(watch.unchanged()).toBe(false);
    } finally {
      await store.close();
      watch.close();
    }
  });

  it("drops cached rows for another connection's commit, not for its own", async () => {
    const path = databasePath();
    const store = new SqliteStore(path);
    const other = new SqliteStore(path);
    try {
      let forgetAll = 0;
      store.changes().subscribe((change) => change === undefined && forgetAll++);
      store.changes().sync();
      await store.table('things').put(A, 'x', { n: 1 });
      store.changes().sync();
      store.changes().sync();
      expect(forgetAll).toBe(0);
      await other.table('things').put(A, 'y', { n: 2 });
      store.changes().sync();
      expect(forgetAll).toBe(1);
      store.changes().sync();
      expect(forgetAll).toBe(1);
    } finally {
      await other.close();
      await store.close();
    }
  });
});

// Closing any descriptor of a file drops every POSIX lock the process holds on it.
describe("SQLite's locks with several stores on one file in one process", () => {
  it('leaves SQLite its locks on the -shm file while another store of this process has it open', async () => {
    const path = databasePath();
    const first = new SqliteStore(path);
    const second = new SqliteStore(path);
    // The inode, not the path: SQLite deletes the file when its last connection closes.
    const shm = statSync(`${path}-shm`).ino;
    const held = locksHeldOn(shm);
    expect(held.length).toBeGreaterThan(0);
    // The watch's shared descriptor must stay open while `second`'s connection uses the file.
    await first.close();
    expect(locksHeldOn(shm)).toEqual(held);
    await second.close();
    expect(locksHeldOn(shm)).toEqual([]);
  });

  it('leaves SQLite its lock on the database file when another store of this process opens it', async () => {
    const path = databasePath();
    const first = new SqliteStore(path);
    const database = statSync(path).ino;
    const held = locksHeldOn(database);
    expect(held.length).toBeGreaterThan(0);
    const second = new SqliteStore(path);
    expect(locksHeldOn(database)).toEqual(held);
    await second.close();
    await first.close();
  });
});
