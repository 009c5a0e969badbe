/**
 * Issue 14: cross-tenant probes. Tenant B knows the ids and ARNs of tenant A's resources (keys,
 * aliases, grants, custom key stores, clusters, backups) and tries to read, use, change and
 * delete them over HTTP. Every probe is refused and A's resources are unchanged afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateAliasCommand,
  CreateCustomKeyStoreCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
} from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { CreateClusterCommand, DescribeClustersCommand } from '@aws-sdk/client-cloudhsm-v2';
import { DEV, REGION, rawRequest, startKmsd } from '../helpers/kmsd.js';
import type { TestKmsd } from '../helpers/kmsd.js';
import { FakeClusters, makeTrustChain } from '../helpers/fake-clusters.js';
import { SUBNETS } from '../helpers/cluster.js';
import { defaultConfig } from '../../src/config.js';
import { saveBackup } from '../../src/cloudhsm/backups.js';
import type { CloudHsmDeps } from '../../src/cloudhsm/context.js';
import { backupRow } from '../helpers/hsm-cluster.js';

const B = { accountId: '444455556666', accessKeyId: 'tenant-b', secretAccessKey: 'tenant-b-secret' };
const CONFIG = {
  ...defaultConfig(),
  accounts: [
    ...defaultConfig().accounts,
    { accountId: B.accountId, credentials: [{ accessKeyId: B.accessKeyId, secretAccessKey: B.secretAccessKey }] },
  ],
  cloudhsm: { transitionMs: 0 },
};

let t: TestKmsd;
let a: KMSClient;
const A_RESOURCES = {
  keyId: '',
  keyArn: '',
  alias: 'alias/tenant-a',
  grantId: '',
  grantToken: '',
  storeId: '',
  clusterId: '',
  backupId: 'backup-tenantaabcd',
};

beforeAll(async () => {
  const hsm = new FakeClusters();
  t = await startKmsd({ config: CONFIG, clusters: hsm, keyStoreTransitionMs: 0 });
  a = t.kms();
  const { KeyMetadata } = await a.send(new CreateKeyCommand({ Description: 'tenant A' }));
  A_RESOURCES.keyId = String(KeyMetadata?.KeyId);
  A_RESOURCES.keyArn = String(KeyMetadata?.Arn);
  await a.send(new CreateAliasCommand({ AliasName: A_RESOURCES.alias, TargetKeyId: A_RESOURCES.keyId }));
  const grant = await a.send(
    new CreateGrantCommand({
      KeyId: A_RESOURCES.keyId,
      GranteePrincipal: `arn:aws:iam::${DEV.accountId}:root`,
      Operations: ['Decrypt', 'RetireGrant'],
    }),
  );
  A_RESOURCES.grantId = String(grant.GrantId);
  A_RESOURCES.grantToken = String(grant.GrantToken);
  const fakeCluster = 'cluster-tenantaabcd';
  const chain = await makeTrustChain(fakeCluster);
  hsm.addCluster(fakeCluster, chain, {});
  const store = await a.send(
    new CreateCustomKeyStoreCommand({
      CustomKeyStoreName: 'tenant-a',
      CloudHsmClusterId: fakeCluster,
      TrustAnchorCertificate: chain.trustAnchorPem,
      KeyStorePassword: 'kmsPswd1',
    }),
  );
  A_RESOURCES.storeId = String(store.CustomKeyStoreId);
  const { Cluster } = await t.cloudhsm().send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: SUBNETS }));
  A_RESOURCES.clusterId = String(Cluster?.ClusterId);
  const scope = { account: DEV.accountId, region: REGION };
  await saveBackup(
    { store: t.kmsd.store } as CloudHsmDeps,
    scope,
    backupRow(scope, A_RESOURCES.backupId, { ClusterId: A_RESOURCES.clusterId }),
  );
});
afterAll(async () => t?.close());

/** A request signed as tenant B. */
const asB = (service: 'kms' | 'cloudhsm', operation: string, input: Record<string, unknown>) =>
  rawRequest(t.url, {
    service,
    target: `${service === 'kms' ? 'TrentService' : 'BaldrApiService'}.${operation}`,
    body: JSON.stringify(input),
    accessKeyId: B.accessKeyId,
    secretAccessKey: B.secretAccessKey,
  });

async function refused(service: 'kms' | 'cloudhsm', operation: string, input: Record<string, unknown>, types: string[]) {
  const r = await asB(service, operation, input);
  expect({ operation, status: r.status }).toEqual({ operation, status: 400 });
  expect({ operation, type: r.body.__type }).toEqual({ operation, type: expect.toBeOneOf(types) });
}

describe('tenant B probing tenant A', () => {
  it('cannot read, use, change or delete A’s key, by id, ARN or alias', async () => {
    const { keyId, keyArn, alias } = A_RESOURCES;
    const aliasArn = `arn:aws:kms:${REGION}:${DEV.accountId}:${alias}`;
    for (const ref of [keyId, alias]) await refused('kms', 'DescribeKey', { KeyId: ref }, ['NotFoundException']);
    for (const ref of [keyArn, aliasArn]) {
      await refused('kms', 'DescribeKey', { KeyId: ref }, ['AccessDeniedException']);
      await refused('kms', 'Encrypt', { KeyId: ref, Plaintext: Buffer.from('x').toString('base64') }, ['AccessDeniedException']);
    }
    for (const [op, input] of [
      ['DisableKey', { KeyId: keyArn }],
      ['ScheduleKeyDeletion', { KeyId: keyArn }],
      ['PutKeyPolicy', { KeyId: keyArn, PolicyName: 'default', Policy: '{"Version":"2012-10-17","Statement":[]}' }],
      ['TagResource', { KeyId: keyArn, Tags: [{ TagKey: 'k', TagValue: 'v' }] }],
      ['UpdateKeyDescription', { KeyId: keyArn, Description: 'owned' }],
    ] as const)
      await refused('kms', op, input, ['AccessDeniedException']);
    await refused('kms', 'DeleteAlias', { AliasName: alias }, ['NotFoundException']);
    await refused('kms', 'UpdateAlias', { AliasName: alias, TargetKeyId: keyId }, ['NotFoundException']);
    const listed = await asB('kms', 'ListAliases', {});
    expect(JSON.stringify(listed.body)).not.toContain('tenant-a');
    const keys = await asB('kms', 'ListKeys', {});
    expect(JSON.stringify(keys.body)).not.toContain(keyId);

    const after = await t.kms().send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(after.KeyMetadata).toMatchObject({ KeyState: 'Enabled', Description: 'tenant A' });
  });

  it('cannot list, revoke or retire A’s grants', async () => {
    const { keyArn, keyId, grantId, grantToken } = A_RESOURCES;
    await refused('kms', 'ListGrants', { KeyId: keyArn }, ['AccessDeniedException']);
    await refused('kms', 'ListGrants', { KeyId: keyId }, ['NotFoundException']);
    await refused('kms', 'RevokeGrant', { KeyId: keyArn, GrantId: grantId }, ['AccessDeniedException']);
    await refused('kms', 'RetireGrant', { GrantToken: grantToken }, ['AccessDeniedException']);
    await refused('kms', 'RetireGrant', { KeyId: keyArn, GrantId: grantId }, ['AccessDeniedException']);
    const grants = await rawRequest(t.url, { target: 'TrentService.ListGrants', body: JSON.stringify({ KeyId: keyId }) });
    expect((grants.body.Grants as { GrantId: string }[]).map((g) => g.GrantId)).toEqual([grantId]);
  });

  it('cannot see or change A’s custom key store', async () => {
    const { storeId } = A_RESOURCES;
    for (const op of ['DescribeCustomKeyStores', 'DeleteCustomKeyStore', 'ConnectCustomKeyStore', 'DisconnectCustomKeyStore']) {
      await refused('kms', op, { CustomKeyStoreId: storeId }, ['CustomKeyStoreNotFoundException']);
    }
    await refused('kms', 'UpdateCustomKeyStore', { CustomKeyStoreId: storeId, NewCustomKeyStoreName: 'owned' }, [
      'CustomKeyStoreNotFoundException',
    ]);
    await refused('kms', 'CreateKey', { Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId }, ['CustomKeyStoreNotFoundException']);
  });

  it('cannot see, change or delete A’s cluster and backup', async () => {
    const { clusterId, backupId } = A_RESOURCES;
    const clusters = await asB('cloudhsm', 'DescribeClusters', { Filters: { clusterIds: [clusterId] } });
    expect(clusters.body).toEqual({ Clusters: [] });
    const backups = await asB('cloudhsm', 'DescribeBackups', { Filters: { backupIds: [backupId] } });
    expect(backups.body).toEqual({ Backups: [] });
    expect((await asB('cloudhsm', 'DescribeBackups', { Shared: true })).body).toEqual({ Backups: [] });
    const notFound = ['CloudHsmResourceNotFoundException'];
    await refused('cloudhsm', 'DeleteCluster', { ClusterId: clusterId }, notFound);
    await refused('cloudhsm', 'CreateHsm', { ClusterId: clusterId, AvailabilityZone: 'us-east-1a' }, notFound);
    await refused('cloudhsm', 'ModifyCluster', { ClusterId: clusterId, BackupRetentionPolicy: { Type: 'DAYS', Value: '30' } }, notFound);
    await refused('cloudhsm', 'DeleteBackup', { BackupId: backupId }, notFound);
    await refused('cloudhsm', 'ModifyBackupAttributes', { BackupId: backupId, NeverExpires: true }, notFound);
    const backupArn = `arn:aws:cloudhsm:${REGION}:${DEV.accountId}:backup/${backupId}`;
    await refused('cloudhsm', 'PutResourcePolicy', { ResourceArn: backupArn, Policy: '{"Statement":[]}' }, notFound);
    // Another account's backup without a policy sharing it: as if it did not exist.
    await refused('cloudhsm', 'CreateCluster', { HsmType: 'hsm2m.medium', SubnetIds: SUBNETS, SourceBackupId: backupArn }, notFound);
    const { Clusters } = await t.cloudhsm().send(new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }));
    expect(Clusters?.[0]?.State).toBe('UNINITIALIZED');
  });
});
