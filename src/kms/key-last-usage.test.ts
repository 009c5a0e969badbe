import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/sqlite-store.js';
import { KeyLastUsageTracker } from './key-last-usage.js';
import type { KeyUsage } from './key-last-usage.js';
import { keyTable } from './keys.js';
import { keyRow } from '../../test/helpers/key-rows.js';

const scope = { account: '111122223333', region: 'us-east-1' };
const keyId = '0b7c9a52-4f1e-4d2b-8a6c-3e5f7a9b1c2d';
let store: SqliteStore;

afterEach(async () => {
  await store.close();
});

const use = (operation: KeyUsage['operation'], timestamp: number): KeyUsage => ({ operation, timestamp, requestId: `req-${timestamp}` });

describe('KeyLastUsageTracker', () => {
  it('writes a key at most once per interval, the latest use, and everything at shutdown', async () => {
    store = new SqliteStore(':memory:');
    await keyTable(store).put(scope, keyId, keyRow(scope, keyId));
    let monotonic = 0;
    const tracker = new KeyLastUsageTracker(store, 60_000, () => monotonic);
    const stored = () => store.table<KeyUsage>('kms_key_last_usage').get(scope, keyId);

    tracker.record(scope, keyId, use('Encrypt', 1000));
    expect(await stored()).toBeUndefined(); // no write on the request path
    expect(await tracker.lastUsage(scope, keyId)).toEqual(use('Encrypt', 1000));
    await tracker.flushDue();
    expect(await stored()).toEqual(use('Encrypt', 1000));

    tracker.record(scope, keyId, use('Decrypt', 2000));
    monotonic = 59_999;
    await tracker.flushDue();
    expect(await stored()).toEqual(use('Encrypt', 1000)); // written less than a minute ago
    expect(await tracker.lastUsage(scope, keyId)).toEqual(use('Decrypt', 2000)); // but read from memory
    monotonic = 60_000;
    await tracker.flushDue();
    expect(await stored()).toEqual(use('Decrypt', 2000));

    tracker.record(scope, keyId, use('Sign', 3000));
    await tracker.flushDue();
    expect(await stored()).toEqual(use('Decrypt', 2000));
    await tracker.flushAll();
    expect(await stored()).toEqual(use('Sign', 3000));
  });

  it('keeps the later use when another node stored a newer one, and writes nothing for a deleted key', async () => {
    store = new SqliteStore(':memory:');
    await keyTable(store).put(scope, keyId, keyRow(scope, keyId));
    const table = store.table<KeyUsage>('kms_key_last_usage');
    await table.put(scope, keyId, use('GenerateMac', 5000));
    const tracker = new KeyLastUsageTracker(store, 60_000, () => 0);
    tracker.record(scope, keyId, use('Encrypt', 4000));
    expect(await tracker.lastUsage(scope, keyId)).toEqual(use('GenerateMac', 5000));
    await tracker.flushAll();
    expect(await table.get(scope, keyId)).toEqual(use('GenerateMac', 5000));

    await keyTable(store).delete(scope, keyId);
    await table.delete(scope, keyId);
    tracker.record(scope, keyId, use('Encrypt', 6000));
    await tracker.flushAll();
    expect(await table.get(scope, keyId)).toBeUndefined();
  });

  it('reports tracking from its first start, or from the key creation when later', async () => {
    store = new SqliteStore(':memory:');
    const first = new KeyLastUsageTracker(store);
    await first.start(new Date(10_000));
    const restarted = new KeyLastUsageTracker(store);
    await restarted.start(new Date(99_000));
    expect(restarted.trackingStartFor(5_000)).toBe(10_000);
    expect(restarted.trackingStartFor(20_000)).toBe(20_000);
  });
});
