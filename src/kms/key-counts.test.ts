import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteStore } from '../store/sqlite-store.js';
import { countKmsResources, KmsCounter } from './key-counts.js';
import { customKeyStoreTable } from './custom-key-stores.js';
import type { CustomKeyStoreRow } from './custom-key-stores.js';
import { keyTable } from './keys.js';
import type { KeyRow } from './keys.js';
import { keyRow } from '../../test/helpers/key-rows.js';

const scope = { account: '111122223333', region: 'us-east-1' };
const other = { account: '444455556666', region: 'eu-west-1' };
let store: SqliteStore;

afterEach(async () => {
  await store.close();
});

/** Only what the counts read of a custom key store. */
const keyStore = (id: string, connectionState: CustomKeyStoreRow['connectionState']) => ({ id, connectionState }) as CustomKeyStoreRow;

async function putKey(id: string, overrides: Partial<KeyRow> = {}, where = scope): Promise<void> {
  await keyTable(store).put(where, id, keyRow(where, id, overrides));
}

describe('countKmsResources', () => {
  it('counts keys of every account by state as DescribeKey reports it, and custom key stores by connection state', async () => {
    store = new SqliteStore(':memory:', { countSliceRows: 2 });
    await customKeyStoreTable(store).put(scope, 'cks-on', keyStore('cks-on', 'CONNECTED'));
    await customKeyStoreTable(store).put(scope, 'cks-off', keyStore('cks-off', 'DISCONNECTED'));
    await customKeyStoreTable(store).put(other, 'cks-failed', keyStore('cks-failed', 'FAILED'));
    await putKey('enabled-1');
    await putKey('enabled-2', {}, other);
    await putKey('disabled', { state: 'Disabled' });
    await putKey('pending-deletion', { state: 'PendingDeletion' });
    await putKey('pending-import', { state: 'PendingImport', origin: 'EXTERNAL' });
    await putKey('in-connected', { customKeyStoreId: 'cks-on' });
    // Not connected: Unavailable whatever the stored state, unless pending deletion.
    await putKey('in-disconnected', { customKeyStoreId: 'cks-off' });
    await putKey('disabled-in-disconnected', { state: 'Disabled', customKeyStoreId: 'cks-off' });
    await putKey('deleting-in-disconnected', { state: 'PendingDeletion', customKeyStoreId: 'cks-off' });
    await putKey('in-failed', { customKeyStoreId: 'cks-failed' }, other);
    await putKey('in-deleted-store', { customKeyStoreId: 'cks-gone' });
    expect(await countKmsResources(store)).toEqual({
      keysByState: {
        Creating: 0,
        Enabled: 3,
        Disabled: 1,
        PendingDeletion: 2,
        PendingImport: 1,
        PendingReplicaDeletion: 0,
        Unavailable: 4,
        Updating: 0,
      },
      customKeyStoresByState: { CONNECTED: 1, CONNECTING: 0, DISCONNECTED: 1, DISCONNECTING: 0, FAILED: 1 },
    });
  });
});

describe('KmsCounter', () => {
  const enabled = async (counter: KmsCounter) => (await counter.counts()).keysByState.Enabled;

  it('shares a running count, and reads the store again only after a write to keys or custom key stores', async () => {
    store = new SqliteStore(':memory:');
    await putKey('k1');
    const counter = new KmsCounter(store);
    const groupCounts = vi.spyOn(keyTable(store), 'countGroupedBy');
    const [a, b] = await Promise.all([counter.counts(), counter.counts()]);
    expect(a).toBe(b);
    expect(groupCounts).toHaveBeenCalledTimes(1);
    expect(await counter.counts()).toBe(a);
    await store.table('kms_aliases').put(scope, 'alias/x', { keyId: 'k1' });
    expect(await counter.counts()).toBe(a);
    expect(groupCounts).toHaveBeenCalledTimes(1);

    await putKey('k2');
    expect(await enabled(counter)).toBe(2);
    expect(groupCounts).toHaveBeenCalledTimes(2);
    await customKeyStoreTable(store).put(scope, 'cks-1', keyStore('cks-1', 'CONNECTED'));
    expect((await counter.counts()).customKeyStoresByState.CONNECTED).toBe(1);
    expect(groupCounts).toHaveBeenCalledTimes(3);
  });

  it('recounts a large store that keeps changing at most once per ten times the last count took', async () => {
    store = new SqliteStore(':memory:');
    for (const id of ['k1', 'k2', 'k3']) await putKey(id);
    let clock = 1000;
    const counter = new KmsCounter(store, { now: () => clock, exactBelowKeys: 3 });
    const table = keyTable(store);
    const countGroupedBy = table.countGroupedBy.bind(table);
    // Each count takes 50 ms of the clock.
    const groupCounts = vi.spyOn(table, 'countGroupedBy').mockImplementation((fields) => {
      clock += 50;
      return countGroupedBy(fields);
    });
    expect(await enabled(counter)).toBe(3);
    await putKey('k4');
    clock += 499;
    expect(await enabled(counter)).toBe(3);
    expect(groupCounts).toHaveBeenCalledTimes(1);
    clock += 1;
    expect(await enabled(counter)).toBe(4);
    expect(groupCounts).toHaveBeenCalledTimes(2);
  });

  it('reports a count that failed, and tries the store again at the next call', async () => {
    store = new SqliteStore(':memory:');
    await putKey('k1');
    const counter = new KmsCounter(store);
    expect(await enabled(counter)).toBe(1);
    await putKey('k2');
    vi.spyOn(keyTable(store), 'countGroupedBy').mockRejectedValueOnce(new Error('store down'));
    await expect(counter.counts()).rejects.toThrow('store down');
    expect(await enabled(counter)).toBe(2);
  });

  it('does not keep a count that saw a write its transaction then rolled back', async () => {
    store = new SqliteStore(':memory:');
    await putKey('k1');
    const counter = new KmsCounter(store);
    let written = () => {};
    let rollBack = () => {};
    const inside = new Promise<void>((resolve) => (written = resolve));
    const gate = new Promise<void>((resolve) => (rollBack = resolve));
    const transaction = store.transaction(async () => {
      await putKey('k2');
      written();
      await gate;
      throw new Error('rolled back');
    });
    await inside;
    // SQLite's one connection shows the transaction's write to every reader.
    expect(await enabled(counter)).toBe(2);
    rollBack();
    await expect(transaction).rejects.toThrow('rolled back');
    expect(await enabled(counter)).toBe(1);
  });
});
