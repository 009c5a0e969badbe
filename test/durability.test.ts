/**
 * Durability of what kmsd writes to its data directory: the SQLite database commits with
 * synchronous=FULL, its files (db, -wal, -shm) and the root key are readable by the owner
 * only, and the root-key file is complete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { CreateKeyCommand, DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { removeDir, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';

describe('data directory durability', () => {
  let t: TestKmsd;
  beforeAll(async () => {
    t = await startKmsd({ persistent: true });
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dataDir);
  });

  it('keeps the database, its -wal and -shm files and the root key at mode 0600 while serving', async () => {
    const kms = t.kms();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('x') }));
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob }))).Plaintext ?? []).toString()).toBe('x');
    const dir = t.dataDir ?? '';
    // The test runner's umask (022) would leave files it creates 0644: these modes are kmsd's doing.
    expect(process.umask() & 0o077).not.toBe(0o077);
    const modes = Object.fromEntries(readdirSync(dir).map((name) => [name, (statSync(join(dir, name)).mode & 0o777).toString(8)]));
    expect(modes).toEqual({ 'kmsd.sqlite': '600', 'kmsd.sqlite-wal': '600', 'kmsd.sqlite-shm': '600', 'root-key': '600' });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('writes a complete root key: 32 bytes of base64 and a newline', () => {
    const text = readFileSync(join(t.dataDir ?? '', 'root-key'), 'utf8');
    expect(text).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(Buffer.from(text.trim(), 'base64').length).toBe(32);
  });

  it('commits with synchronous=FULL, so an acknowledged write is on disk', () => {
    // synchronous is a setting of the connection, not of the file: ask kmsd's own connection.
    const db = (t.kmsd.store as unknown as { db: Database.Database }).db;
    // 2 = FULL (0 OFF, 1 NORMAL, 3 EXTRA).
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  });
});

describe('a transaction that fails', () => {
  it('leaves a table first used inside it usable after the rollback', async () => {
    const store = new SqliteStore(':memory:');
    const scope = { account: '111122223333', region: 'us-east-1' };
    // The table's CREATE TABLE runs inside the transaction and is rolled back with it, as
    // when COMMIT fails on a full disk.
    await expect(
      store.transaction(async () => {
        await store.table<{ n: number }>('fresh').put(scope, 'a', { n: 1 });
        throw new Error('database or disk is full');
      }),
    ).rejects.toThrow('database or disk is full');
    const table = store.table<{ n: number }>('fresh');
    expect(await table.get(scope, 'a')).toBeUndefined();
    await table.put(scope, 'b', { n: 2 });
    expect((await table.list(scope)).items).toEqual([{ n: 2 }]);
    await store.close();
  });
});
