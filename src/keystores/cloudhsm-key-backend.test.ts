import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OffsetClock } from '../core/clock.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { createHsmModule } from '../cloudhsm/hsm/index.js';
import { clusterTable } from '../cloudhsm/rows.js';
import { TEST_SCOPE as scope, clusterRow, setupCluster } from '../../test/helpers/hsm-cluster.js';
import { CloudHsmKeyBackend } from './cloudhsm-key-backend.js';
import { KeyStoreUnavailableError } from './errors.js';
import { RootKey } from './root-key.js';

const CLUSTER = 'cluster-abcdefghijk';
const STORE = 'cks-0123456789abcdef0';

let store: SqliteStore;
let backend: CloudHsmKeyBackend;

beforeEach(async () => {
  store = new SqliteStore(':memory:');
  const rootKey = RootKey.random();
  const clock = new OffsetClock();
  const hsm = createHsmModule({ store, clock, rootKey });
  await setupCluster(store, hsm, CLUSTER);
  await hsm.management.activateCluster(scope, CLUSTER, 'admin-pass-1');
  await hsm.management.createUser(
    scope,
    CLUSTER,
    { password: 'admin-pass-1' },
    { username: 'kmsuser', role: 'crypto-user', password: 'kmsPswd1' },
  );
  backend = new CloudHsmKeyBackend({
    clusters: hsm,
    store,
    rootKey,
    clock,
    directory: async () => ({ connected: true, clusterId: CLUSTER }),
  });
});
afterEach(async () => store.close());

async function unhealthyBecause(): Promise<string> {
  const health = await backend.health(scope, STORE);
  if (health.healthy) throw new Error('expected an unhealthy store');
  expect(health.error).toBeInstanceOf(KeyStoreUnavailableError);
  return health.error.message;
}

describe('CloudHsmKeyBackend.health', () => {
  it('follows the kmsuser session of this node and the cluster it is on', async () => {
    expect(await unhealthyBecause()).toBe('this node holds no kmsuser session for the store');
    const result = await backend.connect(scope, STORE, CLUSTER, [backend.wrapPassword(scope, STORE, 'kmsPswd1')]);
    expect(result.ok).toBe(true);
    expect(await backend.health(scope, STORE)).toEqual({ healthy: true });

    const row = clusterRow(CLUSTER);
    await clusterTable(store).put(scope, CLUSTER, { ...row, Hsms: row.Hsms.map((h) => ({ ...h, State: 'DELETED' })) });
    expect(await unhealthyBecause()).toBe(`cluster ${CLUSTER} has no ACTIVE HSM`);

    await backend.disconnect(scope, STORE);
    expect(await unhealthyBecause()).toBe('this node holds no kmsuser session for the store');
  });
});
