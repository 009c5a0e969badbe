import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from './sqlite-store.js';
import { InvalidMarkerError } from './store.js';

interface Row {
  n: number;
}

const A = { account: '111111111111', region: 'us-east-1' };
const B = { account: '222222222222', region: 'us-east-1' };
const A_WEST = { account: '111111111111', region: 'us-west-2' };

const open: SqliteStore[] = [];
const dirs: string[] = [];
function memory(): SqliteStore {
  const s = new SqliteStore(':memory:');
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SqliteStore tables', () => {
  it('keeps scopes apart', async () => {
    const t = memory().table<Row>('things');
    await t.put(A, 'x', { n: 1 });
    await t.put(B, 'x', { n: 2 });
    expect(await t.get(A, 'x')).toEqual({ n: 1 });
    expect(await t.get(B, 'x')).toEqual({ n: 2 });
    expect(await t.get(A_WEST, 'x')).toBeUndefined();
    expect(await t.count(A)).toBe(1);
    expect(await t.delete(A, 'x')).toBe(true);
    expect(await t.delete(A, 'x')).toBe(false);
    expect(await t.get(B, 'x')).toEqual({ n: 2 });
  });

  it('rejects table names that are not identifiers', () => {
    expect(() => memory().table('x; DROP TABLE y')).toThrow('bad table name x; DROP TABLE y');
  });

  it('pages in insertion order with opaque markers; replacing a row keeps its place', async () => {
    const t = memory().table<Row>('things');
    for (let i = 0; i < 5; i++) await t.put(A, `id${i}`, { n: i });
    await t.put(B, 'other', { n: 99 });
    await t.put(A, 'id1', { n: 10 });
    const first = await t.list(A, { limit: 2 });
    expect(first.items).toEqual([{ n: 0 }, { n: 10 }]);
    expect(first.next).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await t.list(A, { limit: 2, marker: first.next });
    expect(second.items).toEqual([{ n: 2 }, { n: 3 }]);
    const third = await t.list(A, { limit: 2, marker: second.next });
    expect(third).toEqual({ items: [{ n: 4 }] });
    expect(await t.list(A, { limit: 5 })).toEqual({ items: [{ n: 0 }, { n: 10 }, { n: 2 }, { n: 3 }, { n: 4 }] });
  });

  it('filters by id prefix when listing and counting', async () => {
    const t = memory().table<Row>('things');
    await t.put(A, 'k1/a', { n: 1 });
    await t.put(A, 'k2/a', { n: 2 });
    await t.put(A, 'k1/b', { n: 3 });
    expect((await t.list(A, { prefix: 'k1/' })).items).toEqual([{ n: 1 }, { n: 3 }]);
    expect(await t.count(A, 'k1/')).toBe(2);
    expect(await t.count(A, '%')).toBe(0);
  });

  it('throws InvalidMarkerError for a marker it did not issue', async () => {
    const t = memory().table<Row>('things');
    for (const marker of ['nonsense', Buffer.from('kmsd:x').toString('base64url'), '']) {
      await expect(t.list(A, { marker })).rejects.toBeInstanceOf(InvalidMarkerError);
    }
  });

  it('finds due rows in any scope, earliest first, and forgets a cleared due time', async () => {
    const t = memory().table<Row>('things');
    await t.put(A, 'late', { n: 1 }, { due: 300 });
    await t.put(B, 'early', { n: 2 }, { due: 100 });
    await t.put(A, 'never', { n: 3 });
    await t.put(A_WEST, 'mid', { n: 4 }, { due: 200 });
    expect((await t.dueBefore(250, 10)).map((r) => [r.scope, r.id, r.row])).toEqual([
      [B, 'early', { n: 2 }],
      [A_WEST, 'mid', { n: 4 }],
    ]);
    expect((await t.dueBefore(1000, 1)).map((r) => r.id)).toEqual(['early']);
    expect((await t.dueBefore(300, 10)).map((r) => r.id)).toEqual(['early', 'mid', 'late']);
    await t.put(B, 'early', { n: 2 }, { due: null });
    expect((await t.dueBefore(1000, 10)).map((r) => r.id)).toEqual(['mid', 'late']);
    expect((await t.all()).map((r) => r.id)).toEqual(['late', 'early', 'never', 'mid']);
  });
});

describe('SqliteStore transactions', () => {
  it('rolls back every write when the function throws', async () => {
    const store = memory();
    const t = store.table<Row>('things');
    const u = store.table<Row>('others');
    await t.put(A, 'kept', { n: 1 });
    await expect(
      store.transaction(async () => {
        await t.put(A, 'kept', { n: 2 });
        await t.put(A, 'new', { n: 3 });
        await u.put(A, 'other', { n: 4 });
        await t.delete(A, 'kept');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await t.get(A, 'kept')).toEqual({ n: 1 });
    expect(await t.get(A, 'new')).toBeUndefined();
    expect(await u.get(A, 'other')).toBeUndefined();
  });

  it('joins nested transactions to the outer one', async () => {
    const store = memory();
    const t = store.table<Row>('things');
    await expect(
      store.transaction(async () => {
        await store.transaction(async () => t.put(A, 'inner', { n: 1 }));
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(await t.get(A, 'inner')).toBeUndefined();
    expect(await store.transaction(async () => store.transaction(async () => 42))).toBe(42);
  });

  it('serializes read-modify-write: concurrent increments all count', async () => {
    const store = memory();
    const t = store.table<Row>('counter');
    await t.put(A, 'c', { n: 0 });
    const increment = () =>
      store.transaction(async () => {
        const row = (await t.get(A, 'c')) ?? { n: 0 };
        await new Promise((r) => setTimeout(r, 1));
        await t.put(A, 'c', { n: row.n + 1 });
      });
    await Promise.all(Array.from({ length: 20 }, increment));
    expect(await t.get(A, 'c')).toEqual({ n: 20 });
  });

  it('makes a write outside a transaction wait for an open one', async () => {
    const store = memory();
    const t = store.table<Row>('things');
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
});

describe('SqliteStore on disk', () => {
  it('keeps rows across reopening the database file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmsd-store-'));
    dirs.push(dir);
    const file = join(dir, 'kmsd.sqlite');
    const first = new SqliteStore(file);
    await first.table<Row>('things').put(A, 'x', { n: 7 }, { due: 5 });
    await first.close();
    const second = new SqliteStore(file);
    open.push(second);
    expect(await second.table<Row>('things').get(A, 'x')).toEqual({ n: 7 });
    expect((await second.table<Row>('things').dueBefore(5, 10)).map((r) => r.id)).toEqual(['x']);
  });
});
