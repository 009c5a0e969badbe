/**
 * Final deletion of a key in a custom key store, at the module level: no custom key store can
 * be created through the API on this branch, so a recording backend stands in for CloudHSM.
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
import { keyTable, saveKey } from '../src/kms/keys.js';
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
