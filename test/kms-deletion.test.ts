/**
 * Final deletion of a key in a custom key store, at the module level: a recording backend
 * stands in for CloudHSM, so the order of store writes and HSM calls can be seen.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { LocalKeyBackend } from '../src/keystores/local-key-backend.js';
import { RootKey } from '../src/keystores/root-key.js';
import { KeyImports } from '../src/keystores/key-imports.js';
import { KeyLastUsageTracker } from '../src/kms/key-last-usage.js';
import type { BackendKeyRef } from '../src/keystores/key-backend.js';
import type { CustomKeyStoreBackend, KmsDeps } from '../src/kms/context.js';
import { deleteKeyFinally } from '../src/kms/deletion.js';
import { keyTable, loadKey, saveKey } from '../src/kms/keys.js';
import type { KmsContext } from '../src/kms/context.js';
import { sweepKeys } from '../src/kms/sweeper.js';
import { keyRow } from './helpers/key-rows.js';

const scope = { account: '111122223333', region: 'us-east-1' };
let store: SqliteStore | undefined;

afterEach(async () => {
  await store?.close();
});

describe('final deletion of a custom key store key', () => {
  it('deletes the row even when the cluster refuses, and asks it to destroy every material version', async () => {
    store = new SqliteStore(':memory:');
    const destroyed: string[] = [];
    const backend: CustomKeyStoreBackend = {
      createMaterial: async () => undefined,
      seal: async () => Buffer.alloc(0),
      open: async () => Buffer.alloc(0),
      destroyMaterial: async (ref: BackendKeyRef) => {
        destroyed.push(ref.materialId);
        if (destroyed.length === 1) throw new Error('cluster unreachable');
      },
      isConnected: async () => false,
      health: async () => ({ healthy: true }),
    };
    const deps: KmsDeps = {
      store,
      clock: { now: () => new Date() },
      localKeys: new LocalKeyBackend(store, RootKey.random()),
      imports: new KeyImports(store, RootKey.random()),
      keyUsage: new KeyLastUsageTracker(store),
      customKeyStoreBackend: backend,
    };
    const keyId = '3f0c6a8e-7d1b-4c2a-9e5f-0a1b2c3d4e5f';
    const key = keyRow(scope, keyId, {
      origin: 'AWS_CLOUDHSM',
      state: 'PendingDeletion',
      deletionDate: 1,
      pendingWindowInDays: 7,
      currentMaterialId: 'b'.repeat(64),
      materialIds: ['a'.repeat(64), 'b'.repeat(64)],
      customKeyStoreId: 'cks-0123456789abcdef0',
    });

    await saveKey({ deps }, key);
    await deleteKeyFinally({ deps }, key);
    expect(await keyTable(store).get(scope, keyId)).toBeUndefined();
    expect(destroyed).toEqual(['a'.repeat(64), 'b'.repeat(64)]);
  });
});

describe('a key past its deletion date', () => {
  it('is gone for lookups at once, but only the sweeper deletes it, and calls the HSM after its commit', async () => {
    const db = new SqliteStore(':memory:');
    store = db;
    const events: string[] = [];
    const keyId = '5a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const backend: CustomKeyStoreBackend = {
      createMaterial: async () => undefined,
      seal: async () => Buffer.alloc(0),
      open: async () => Buffer.alloc(0),
      destroyMaterial: async () => {
        const inside = db.changes().insideTransaction();
        events.push(inside ? 'destroy inside a transaction' : 'destroy after commit');
      },
      isConnected: async () => true,
      health: async () => ({ healthy: true }),
    };
    const deps: KmsDeps = {
      store: db,
      clock: { now: () => new Date() },
      localKeys: new LocalKeyBackend(db, RootKey.random()),
      imports: new KeyImports(db, RootKey.random()),
      keyUsage: new KeyLastUsageTracker(db),
      customKeyStoreBackend: backend,
    } as KmsDeps;
    const key = keyRow(scope, keyId, {
      origin: 'AWS_CLOUDHSM',
      state: 'PendingDeletion',
      deletionDate: Date.now() - 1000,
      pendingWindowInDays: 7,
      currentMaterialId: 'c'.repeat(64),
      materialIds: ['c'.repeat(64)],
      customKeyStoreId: 'cks-0123456789abcdef0',
    });
    await saveKey({ deps }, key);

    const ctx = { deps, scope, now: new Date() } as KmsContext;
    expect(await loadKey(ctx, keyId)).toBeUndefined();
    expect(await keyTable(db).get(scope, keyId)).toBeDefined();
    expect(events).toEqual([]);

    await sweepKeys(deps, new Date());
    expect(await keyTable(db).get(scope, keyId)).toBeUndefined();
    expect(events).toEqual(['destroy after commit']);
  });
});
