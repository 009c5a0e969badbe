/**
 * Expiry of imported material: a read past ValidTo sees the key PendingImport without writing
 * anything; the sweeper then deletes the material and stores the state.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../store/sqlite-store.js';
import { LocalKeyBackend } from '../keystores/local-key-backend.js';
import { KeyImports } from '../keystores/key-imports.js';
import { RootKey } from '../keystores/root-key.js';
import { accountPrincipal } from '../auth/principal.js';
import type { KmsContext, KmsDeps } from './context.js';
import { KeyLastUsageTracker } from './key-last-usage.js';
import { backendRef, keyMetadata, keyTable, saveKey } from './keys.js';
import type { KeyRow } from './keys.js';
import { keyRow } from '../../test/helpers/key-rows.js';
import { sweepKeys } from './sweeper.js';

const scope = { account: '111122223333', region: 'us-east-1' };
const keyId = '6d1f3b8e-2a4c-4e9f-b7d5-1c3e5a7b9d0f';
const materialId = 'c'.repeat(64);
const validTo = 1_000_000;
let store: SqliteStore;

afterEach(async () => {
  await store.close();
});

function setUp(): { deps: KmsDeps; key: KeyRow } {
  store = new SqliteStore(':memory:');
  const rootKey = RootKey.random();
  const deps: KmsDeps = {
    store,
    clock: { now: () => new Date(0) },
    localKeys: new LocalKeyBackend(store, rootKey),
    imports: new KeyImports(store, rootKey),
    keyUsage: new KeyLastUsageTracker(store),
  };
  const key = keyRow(scope, keyId, {
    origin: 'EXTERNAL',
    currentMaterialId: materialId,
    materialIds: [materialId],
    imports: [{ materialId, imported: true, expirationModel: 'KEY_MATERIAL_EXPIRES', validTo }],
  });

  return { deps, key };
}

const ctxAt = (deps: KmsDeps, time: number): KmsContext => {
  const principal = accountPrincipal(scope.account);
  return {
    scope,
    principalArn: principal.arn,
    principal,
    sourceIp: '127.0.0.1',
    secureTransport: false,
    audit: { resources: [] },
    operation: 'DescribeKey',
    input: {},
    now: new Date(time),
    requestId: 'r',
    deps,
  };
};

describe('imported material expiry', () => {
  it('is seen at once on read, without a write, and stored by the sweeper', async () => {
    const { deps, key } = setUp();
    await deps.localKeys.storeMaterial(backendRef(key, materialId), randomBytes(32));
    await saveKey({ deps }, key);

    expect((await keyMetadata(ctxAt(deps, validTo - 1), key)).KeyState).toBe('Enabled');
    const read = await keyMetadata(ctxAt(deps, validTo), key);
    expect(read).toMatchObject({ KeyState: 'PendingImport', Enabled: false });
    expect(read.ExpirationModel).toBeUndefined();
    // Nothing was written by the read.
    expect((await keyTable(store).get(scope, keyId))?.state).toBe('Enabled');
    expect(await store.table('kms_key_material').get(scope, `${keyId}/${materialId}`)).toBeDefined();

    await sweepKeys(deps, new Date(validTo));
    const swept = await keyTable(store).get(scope, keyId);
    expect(swept?.state).toBe('PendingImport');
    expect(swept?.imports).toEqual([{ materialId, imported: false }]);
    expect(await store.table('kms_key_material').get(scope, `${keyId}/${materialId}`)).toBeUndefined();
  });
});
