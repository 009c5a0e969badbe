/**
 * The opened-key cache (opened-keys.ts) must never let a key call succeed that the rows would
 * refuse: a write by another process on the same SQLite file, or by another node on the same
 * PostgreSQL database, to the cluster, its contents or the key, is seen by the next call
 * (PostgreSQL: once its notification arrives), and so is a transition that ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OffsetClock } from '../../core/clock.js';
import { RootKey } from '../../keystores/root-key.js';
import { PostgresStore } from '../../store/postgres-store.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { Store } from '../../store/store.js';
import { clusterTable } from '../rows.js';
import { createHsmModule } from './index.js';
import type { HsmModule } from './index.js';
import { passwordCost } from './passwords.js';
import { hsmTables, keyId } from './tables.js';
import { TEST_SCOPE as scope, clusterRow, setupCluster } from '../../../test/helpers/hsm-cluster.js';
import { startPostgres } from '../../../test/helpers/postgres.js';
import type { TestPostgres } from '../../../test/helpers/postgres.js';

const C1 = 'cluster-abcdefghijk';
const ADMIN = { password: 'admin-pass-1' };
const AAD = Buffer.from('context');

const stores: Store[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function opened<S extends Store>(store: S): Promise<S> {
  stores.push(store);
  await store.open();
  return store;
}

/** An ACTIVE cluster with kmsuser logged in and one key, on `store`: the module, the session and the key. */
async function kmsuserWithKey(store: Store, clock = new OffsetClock()): Promise<{ hsm: HsmModule; session: string; handle: string }> {
  const hsm = createHsmModule({ store, clock, rootKey: ROOT_KEY, passwordCost: passwordCost(14) });
  await setupCluster(store, hsm, C1);
  await hsm.management.activateCluster(scope, C1, ADMIN.password);
  await hsm.management.createUser(scope, C1, ADMIN, { username: 'kmsuser', role: 'crypto-user', password: 'kmsPswd1' });
  const login = await hsm.login(scope, C1, 'kmsuser', 'kmsPswd1');
  if (!login.ok) throw new Error(`login failed: ${login.failure}`);
  const handle = await hsm.generateAesKey(login.sessionId, 'k');
  return { hsm, session: login.sessionId, handle };
}

const ROOT_KEY = RootKey.random();

/** Encrypts and decrypts once (the key is opened, and kept), and checks the round trip. */
async function roundTrip(hsm: HsmModule, session: string, handle: string): Promise<void> {
  const sealed = await hsm.encrypt(session, handle, Buffer.from('hello'), AAD);
  expect((await hsm.decrypt(session, handle, sealed, AAD)).toString()).toBe('hello');
}

/** Polls `attempt` until it rejects (bounded, 10 s): a PostgreSQL notification arrives when it arrives. */
async function rejection(attempt: () => Promise<unknown>): Promise<unknown> {
  const end = Date.now() + 10_000;
  for (;;) {
    try {
      await attempt();
    } catch (err) {
      return err;
    }
    if (Date.now() > end) throw new Error('still succeeding after 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('opened HSM keys on one SQLite file with two connections (kmsd serve --workers)', () => {
  function twoConnections(): Promise<[SqliteStore, SqliteStore]> {
    const dir = mkdtempSync(join(tmpdir(), 'kmsd-opened-keys-'));
    dirs.push(dir);
    const file = join(dir, 'kmsd.sqlite');
    return Promise.all([opened(new SqliteStore(file)), opened(new SqliteStore(file))]);
  }

  it("refuses the next call after the other connection removed the cluster's HSMs, and serves again once one is back", async () => {
    const [mine, other] = await twoConnections();
    const { hsm, session, handle } = await kmsuserWithKey(mine);
    await roundTrip(hsm, session, handle);
    const active = await clusterTable(other).get(scope, C1);
    if (!active) throw new Error('no cluster row');

    await clusterTable(other).put(scope, C1, { ...active, Hsms: [] });
    await expect(hsm.encrypt(session, handle, Buffer.from('x'), AAD)).rejects.toMatchObject({ reason: 'NO_ACTIVE_HSM' });
    await clusterTable(other).put(scope, C1, active);
    await roundTrip(hsm, session, handle);
  });

  it('refuses the next call after the other connection deleted the key, or the cluster contents', async () => {
    const [mine, other] = await twoConnections();
    const { hsm, session, handle } = await kmsuserWithKey(mine);
    await roundTrip(hsm, session, handle);

    const keys = hsmTables(other).keys;
    const key = await keys.get(scope, keyId(C1, handle));
    if (!key) throw new Error('no key row');
    await keys.delete(scope, keyId(C1, handle));
    await expect(hsm.encrypt(session, handle, Buffer.from('x'), AAD)).rejects.toMatchObject({ reason: 'KEY_NOT_FOUND' });
    await keys.put(scope, keyId(C1, handle), key);
    await roundTrip(hsm, session, handle);

    await hsmTables(other).secrets.delete(scope, C1);
    await expect(hsm.decrypt(session, handle, Buffer.alloc(40), AAD)).rejects.toMatchObject({ reason: 'CLUSTER_NOT_FOUND' });
  });

  it('refuses the next call once a deletion the cluster row announced has ended, with no write', async () => {
    const [mine] = await twoConnections();
    const clock = new OffsetClock();
    const { hsm, session, handle } = await kmsuserWithKey(mine, clock);
    const now = clock.now().getTime();
    await clusterTable(mine).put(
      scope,
      C1,
      clusterRow(C1, { State: 'DELETE_IN_PROGRESS', transitionEndsAt: now + 60_000, stateAfterTransition: 'DELETED' }),
    );
    await roundTrip(hsm, session, handle);
    clock.advance(60_000);
    await expect(hsm.encrypt(session, handle, Buffer.from('x'), AAD)).rejects.toMatchObject({ reason: 'CLUSTER_NOT_FOUND' });
  });
});

describe('opened HSM keys on two PostgreSQL nodes', () => {
  let postgres: TestPostgres;
  beforeAll(() => {
    postgres = startPostgres();
  });
  afterAll(() => postgres.stop());

  it("refuses calls once the other node's removal of the cluster's HSMs, or of the key, is notified", async () => {
    const url = await postgres.createDatabase();
    const [mine, other] = [await opened(new PostgresStore(url)), await opened(new PostgresStore(url))];
    const { hsm, session, handle } = await kmsuserWithKey(mine);
    await roundTrip(hsm, session, handle);
    const active = await clusterTable(other).get(scope, C1);
    if (!active) throw new Error('no cluster row');

    await clusterTable(other).put(scope, C1, { ...active, Hsms: [] });
    expect(await rejection(() => hsm.encrypt(session, handle, Buffer.from('x'), AAD))).toMatchObject({ reason: 'NO_ACTIVE_HSM' });
    await clusterTable(other).put(scope, C1, active);
    await roundTrip(hsm, session, handle);

    await hsmTables(other).keys.delete(scope, keyId(C1, handle));
    expect(await rejection(() => hsm.encrypt(session, handle, Buffer.from('x'), AAD))).toMatchObject({ reason: 'KEY_NOT_FOUND' });
  });
});
