/**
 * Issue 14: growth probes. A tenant must not be able to make one row, or one request's work,
 * grow without limit: oversized grant constraints are refused, a retried named CreateGrant
 * keeps a bounded row, grants per key stop at the (settable) quota, DescribeBackups with
 * Shared=true reads only backups that carry a resource policy, not every account's backups,
 * requests scoped to a Region that does not exist are refused (each Region would be a new set
 * of per-Region quotas), and deleted clusters and backups are purged on the clock by work found through the store's
 * due index, so idle ticks read no rows however many there are. The clock-moving tests run last.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateGrantCommand, CreateKeyCommand, ListKeysCommand, ReplicateKeyCommand, RetireGrantCommand } from '@aws-sdk/client-kms';
import { CreateClusterCommand, DeleteClusterCommand, DescribeBackupsCommand, DescribeClustersCommand } from '@aws-sdk/client-cloudhsm-v2';
import { DEV, REGION, rawRequest, startKmsd } from '../helpers/kmsd.js';
import type { TestKmsd } from '../helpers/kmsd.js';
import { defaultConfig } from '../../src/config.js';
import { grantRowId, grantTable } from '../../src/kms/grants.js';
import type { GrantRow } from '../../src/kms/grants.js';
import { backupTable, clusterTable } from '../../src/cloudhsm/rows.js';
import type { BackupRow } from '../../src/cloudhsm/rows.js';
import { DELETED_CLUSTER_LISTED_MS, saveCluster } from '../../src/cloudhsm/clusters.js';
import { PENDING_DELETION_MS } from '../../src/cloudhsm/backups.js';
import type { Table } from '../../src/store/store.js';
import { backupRow, clusterRow } from '../helpers/hsm-cluster.js';
import { saveBackup } from '../../src/cloudhsm/backups.js';
import type { CloudHsmDeps } from '../../src/cloudhsm/context.js';

const GRANTEE = `arn:aws:iam::${DEV.accountId}:user/alice`;
const GRANTS_PER_KEY = 5;

let t: TestKmsd;
beforeAll(async () => {
  t = await startKmsd({ config: { ...defaultConfig(), quotas: { grantsPerKey: GRANTS_PER_KEY }, cloudhsm: { transitionMs: 0 } } });
});
afterAll(async () => t?.close());

async function newKey(): Promise<string> {
  const { KeyMetadata } = await t.kms().send(new CreateKeyCommand({}));
  return String(KeyMetadata?.KeyId);
}

function createGrant(keyId: string, extra: Record<string, unknown> = {}) {
  return rawRequest(t.url, {
    target: 'TrentService.CreateGrant',
    body: JSON.stringify({ KeyId: keyId, GranteePrincipal: GRANTEE, Operations: ['Decrypt'], ...extra }),
  });
}

describe('grant constraints', () => {
  it('refuses more than 8 pairs and values or keys over 384 characters, and stores nothing', async () => {
    const keyId = await newKey();
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 'v']));
    expect(await createGrant(keyId, { Constraints: { EncryptionContextSubset: nine } })).toMatchObject({
      status: 400,
      body: { __type: 'ValidationException', message: 'EncryptionContextSubset can have at most 8 encryption context pairs.' },
    });
    const tooLong = 'x'.repeat(385);
    for (const context of [{ purpose: tooLong }, { [tooLong]: 'v' }, { big: 'y'.repeat(200_000) }]) {
      expect(await createGrant(keyId, { Constraints: { EncryptionContextEquals: context } })).toMatchObject({
        status: 400,
        body: {
          __type: 'ValidationException',
          message: 'Each key and value in EncryptionContextEquals must be at most 384 characters long.',
        },
      });
    }
    expect(await grantTable(t.kmsd.store).count({ account: DEV.accountId, region: REGION }, `${keyId}/`)).toBe(0);
    // At the limits it is accepted.
    const eight = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, 'z'.repeat(384)]));
    expect((await createGrant(keyId, { Constraints: { EncryptionContextSubset: eight } })).status).toBe(200);
  });
});

describe('a retried named CreateGrant', () => {
  it('returns the same grant every time and keeps only the newest 64 tokens in its row', async () => {
    const keyId = await newKey();
    const tokens: string[] = [];
    let grantId = '';
    for (let i = 0; i < 80; i++) {
      const r = await createGrant(keyId, { Name: 'retried' });
      expect(r.status).toBe(200);
      grantId ||= String(r.body.GrantId);
      expect(r.body.GrantId).toBe(grantId);
      tokens.push(String(r.body.GrantToken));
    }
    const row = await grantTable(t.kmsd.store).get({ account: DEV.accountId, region: REGION }, grantRowId(keyId, grantId));
    expect((row as GrantRow).tokenHashes).toHaveLength(64);
    // The oldest token fell out; the newest still retires the grant.
    await expect(t.kms().send(new RetireGrantCommand({ GrantToken: tokens[0] }))).rejects.toMatchObject({
      name: 'InvalidGrantTokenException',
    });
    await t.kms().send(new RetireGrantCommand({ GrantToken: tokens[79] }));
  });
});

describe('grants per key', () => {
  it('stops at the configured quota with LimitExceededException', async () => {
    const keyId = await newKey();
    for (let i = 0; i < GRANTS_PER_KEY; i++) {
      await t.kms().send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: GRANTEE, Operations: ['Encrypt'] }));
    }
    const over = await createGrant(keyId);
    expect(over.status).toBe(400);
    expect(over.body.__type).toBe('LimitExceededException');
  });

  it('counts the key grants through the store index: an unnamed CreateGrant reads none of them', async () => {
    const keyId = await newKey();
    for (let i = 0; i < 3; i++) expect((await createGrant(keyId)).status).toBe(200);
    const reads = await countReads(grantTable(t.kmsd.store), async () => {
      expect((await createGrant(keyId)).status).toBe(200);
    });
    expect(reads).toMatchObject({ get: 0, list: 0, all: 0 });
    expect(await grantTable(t.kmsd.store).count({ account: DEV.accountId, region: REGION }, `${keyId}/`)).toBe(4);
  });
});

describe('DescribeBackups Shared=true', () => {
  it("reads only the backups that carry a resource policy, not every account's backups", async () => {
    const deps = { store: t.kmsd.store } as CloudHsmDeps;
    const other = { account: '444455556666', region: REGION };
    const backup = (id: string, policy?: string): BackupRow => backupRow(other, id, policy ? { resourcePolicy: policy } : {});
    for (let i = 0; i < 300; i++) await saveBackup(deps, other, backup(`backup-unshared${String(i).padStart(3, 'a')}`));
    const shared = backup('backup-sharedabcdef');
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: DEV.accountId }, Action: 'cloudhsm:DescribeBackups', Resource: shared.BackupArn }],
    });
    await saveBackup(deps, other, { ...shared, resourcePolicy: policy });
    // Then unshared again, then shared: the index follows the policy.
    await saveBackup(deps, other, shared);
    await saveBackup(deps, other, { ...shared, resourcePolicy: policy });

    const table = backupTable(t.kmsd.store);
    const reads = { get: 0, list: 0, all: 0 };
    const original = { get: table.get.bind(table), list: table.list.bind(table), all: table.all.bind(table) };
    table.get = (s, id) => (reads.get++, original.get(s, id));
    table.list = (s, o) => (reads.list++, original.list(s, o));
    table.all = () => (reads.all++, original.all());
    try {
      const r = await rawRequest(t.url, {
        service: 'cloudhsm',
        target: 'BaldrApiService.DescribeBackups',
        body: JSON.stringify({ Shared: true }),
      });
      expect(r.status).toBe(200);
      expect((r.body.Backups as { BackupId: string }[]).map((b) => b.BackupId)).toEqual([shared.BackupId]);
    } finally {
      Object.assign(table, original);
    }
    expect(reads).toEqual({ get: 1, list: 0, all: 0 });
  });
});

describe('Regions', () => {
  const INVALID = 'Credential should be scoped to a valid region. ';

  it('refuses requests signed for a Region that does not exist, and creates nothing there', async () => {
    for (const region of ['xx-fake-1', 'us-east-99', 'global']) {
      const r = await rawRequest(t.url, { target: 'TrentService.CreateKey', region });
      expect(r).toMatchObject({ status: 400, body: { __type: 'InvalidSignatureException', message: INVALID } });
    }
    await expect(t.kms({ region: 'xx-fake-1' }).send(new CreateKeyCommand({}))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      message: INVALID,
    });
    const cloudhsm = await rawRequest(t.url, { service: 'cloudhsm', target: 'BaldrApiService.DescribeClusters', region: 'xx-fake-1' });
    expect(cloudhsm).toMatchObject({ status: 400, body: { __type: 'InvalidSignatureException', Message: INVALID } });
    expect(await t.kmsd.store.table('kms_keys').count({ account: DEV.accountId, region: 'xx-fake-1' })).toBe(0);
    // Every real Region works, China and GovCloud included.
    for (const region of ['eu-central-2', 'cn-northwest-1', 'us-gov-west-1']) {
      expect((await t.kms({ region }).send(new ListKeysCommand({}))).Keys).toBeDefined();
    }
  });

  it('refuses replicas and backup copies to a Region that does not exist', async () => {
    const { KeyMetadata } = await t.kms().send(new CreateKeyCommand({ MultiRegion: true }));
    await expect(t.kms().send(new ReplicateKeyCommand({ KeyId: KeyMetadata?.KeyId, ReplicaRegion: 'xx-fake-1' }))).rejects.toMatchObject({
      name: 'UnsupportedOperationException',
      message: 'xx-fake-1 is not a Region kmsd serves.',
    });
    const scope = { account: DEV.accountId, region: REGION };
    await saveBackup({ store: t.kmsd.store } as CloudHsmDeps, scope, backupRow(scope, 'backup-copyregion23'));
    const copy = await rawRequest(t.url, {
      service: 'cloudhsm',
      target: 'BaldrApiService.CopyBackupToRegion',
      body: JSON.stringify({ BackupId: 'backup-copyregion23', DestinationRegion: 'xx-east-1' }),
    });
    expect(copy).toMatchObject({
      status: 400,
      body: { __type: 'CloudHsmInvalidRequestException', Message: 'xx-east-1 is not a Region kmsd serves.' },
    });
    expect(await backupTable(t.kmsd.store).count({ account: DEV.accountId, region: 'xx-east-1' })).toBe(0);
  });
});

/** Counts the reads of a table while `during` runs. */
async function countReads<T>(table: Table<T>, during: () => Promise<void>) {
  const reads = { get: 0, list: 0, all: 0, claimDue: 0, claimed: 0 };
  const original = { get: table.get, list: table.list, all: table.all, claimDue: table.claimDue };
  table.get = (s, id) => (reads.get++, original.get.call(table, s, id));
  table.list = (s, o) => (reads.list++, original.list.call(table, s, o));
  table.all = () => (reads.all++, original.all.call(table));
  table.claimDue = async (time, limit, lease) => {
    reads.claimDue++;
    const claimed = await original.claimDue.call(table, time, limit, lease);
    reads.claimed += claimed.length;
    return claimed;
  };
  try {
    await during();
  } finally {
    Object.assign(table, original);
  }
  return reads;
}

describe('deleted CloudHSM clusters and backups', () => {
  const DAY = 24 * 60 * 60;
  const scope = { account: DEV.accountId, region: REGION };
  const deps = () => ({ store: t.kmsd.store }) as CloudHsmDeps;

  async function addDeletedRows(n: number, tag: string): Promise<void> {
    const deletedAt = t.serviceNow().getTime();
    for (let i = 0; i < n; i++) {
      const id = `${tag}${String(i).padStart(4, '0')}`;
      await saveCluster({ scope, deps: deps() }, clusterRow(`cluster-${id}`, { State: 'DELETED', Hsms: [], deletedAt }));
      const backup = backupRow(scope, `backup-${id}`, { BackupState: 'PENDING_DELETION', DeleteTimestamp: deletedAt });
      await saveBackup(deps(), scope, backup);
    }
  }

  it('idle ticks read no cluster or backup rows, with 200 or 400 deleted ones waiting', async () => {
    await t.advanceClock(0); // the sweeper's first run (a one-time visit of pending clusters) is over
    for (const tag of ['idleaaaaaaa', 'idlebbbbbbb']) {
      await addDeletedRows(200, tag);
      await t.advanceClock(0); // the rows' first tick: nothing is due for 7 days
      const clusters = await countReads(clusterTable(t.kmsd.store), async () => {
        const backups = await countReads(backupTable(t.kmsd.store), () => t.advanceClock(60));
        expect(backups).toMatchObject({ get: 0, list: 0, all: 0, claimed: 0 });
        expect(backups.claimDue).toBeGreaterThan(0);
      });
      expect(clusters).toMatchObject({ get: 0, list: 0, all: 0, claimed: 0 });
      expect(clusters.claimDue).toBeGreaterThan(0);
    }
  });

  it('a DELETED cluster is listed for 7 days, then purged; a deleted backup after its 7 days', async () => {
    const hsm = t.cloudhsm();
    const { Cluster } = await hsm.send(
      new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'] }),
    );
    const clusterId = String(Cluster?.ClusterId);
    await hsm.send(new DeleteClusterCommand({ ClusterId: clusterId }));
    const listed = async () => (await hsm.send(new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }))).Clusters ?? [];
    expect((await listed()).map((c) => c.State)).toEqual(['DELETED']);
    const backupId = 'backup-purgeme2345';
    await saveBackup(
      deps(),
      scope,
      backupRow(scope, backupId, { BackupState: 'PENDING_DELETION', DeleteTimestamp: t.serviceNow().getTime() }),
    );
    const backupListed = async () =>
      (await hsm.send(new DescribeBackupsCommand({ Filters: { backupIds: [backupId] } }))).Backups?.map((b) => b.BackupState) ?? [];
    expect(await backupListed()).toEqual(['PENDING_DELETION']);

    expect(DELETED_CLUSTER_LISTED_MS).toBe(PENDING_DELETION_MS);
    await t.advanceClock(7 * DAY - 60);
    expect((await listed()).map((c) => c.State)).toEqual(['DELETED']);
    expect(await backupListed()).toEqual(['PENDING_DELETION']);

    await t.advanceClock(120);
    expect(await listed()).toEqual([]);
    expect(await backupListed()).toEqual([]);
    // The rows themselves are gone, not just hidden: the 400 probe rows above too.
    expect(await clusterTable(t.kmsd.store).get(scope, clusterId)).toBeUndefined();
    expect(await backupTable(t.kmsd.store).get(scope, backupId)).toBeUndefined();
    expect(await clusterTable(t.kmsd.store).count(scope, 'cluster-idle')).toBe(0);
    expect(await backupTable(t.kmsd.store).count(scope, 'backup-idle')).toBe(0);
  });
});
