/**
 * The CloudHSM V2 API's edges: the AWS CLI (/usr/bin/aws cloudhsmv2), transitional states on
 * the clock, the wire error shape, pagination, limits, tags, backup resource policies and
 * cross-account sharing (raw signed requests: the SDK and CLI versions here predate them),
 * and account isolation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateClusterCommand,
  CreateHsmCommand,
  DescribeClustersCommand,
  InitializeClusterCommand,
  ListTagsCommand,
} from '@aws-sdk/client-cloudhsm-v2';
import type { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import { awsCli, rawRequest, startKmsd } from './helpers/kmsd.js';
import type { RawResponse, TestKmsd } from './helpers/kmsd.js';
import { fakeHsmContents } from './helpers/fake-hsm-contents.js';
import { OpensslWorkspace } from './helpers/openssl.js';

const OTHER = { accountId: '444455556666', accessKeyId: 'other', secretAccessKey: 'other-secret' };

let t: TestKmsd;
let hsm: CloudHSMV2Client;
const contents = fakeHsmContents();

beforeAll(async () => {
  t = await startKmsd({
    config: {
      accounts: [
        { accountId: '111122223333', credentials: [{ accessKeyId: 'test', secretAccessKey: 'test' }] },
        { accountId: OTHER.accountId, credentials: [{ accessKeyId: OTHER.accessKeyId, secretAccessKey: OTHER.secretAccessKey }] },
      ],
      // Long enough that no real time spent by the test ends a transition; the tests move the clock.
      cloudhsm: { transitionMs: 60_000 },
    },
    hsmContents: contents,
  });
  hsm = t.cloudhsm();
});
afterAll(async () => t.close());

function call(operation: string, body: unknown, who: { accessKeyId?: string; secretAccessKey?: string } = {}): Promise<RawResponse> {
  return rawRequest(t.url, {
    service: 'cloudhsm',
    target: `BaldrApiService.${operation}`,
    body: JSON.stringify(body),
    signingDate: t.serviceNow(),
    ...who,
  });
}

describe('the AWS CLI and transitional states', () => {
  let clusterId: string;

  it('creates a cluster with the CLI; CREATE_IN_PROGRESS ends on the clock', async () => {
    const created = await awsCli(t.url, [
      'cloudhsmv2',
      'create-cluster',
      '--hsm-type',
      'hsm1.medium',
      '--subnet-ids',
      'subnet-0123abcd',
      'subnet-4567cdef',
    ]);
    expect(created.code).toBe(0);
    const cluster = (created.json as { Cluster: { ClusterId: string; State: string; SubnetMapping: Record<string, string> } }).Cluster;
    clusterId = cluster.ClusterId;
    expect(cluster.State).toBe('CREATE_IN_PROGRESS');
    expect(cluster.SubnetMapping).toEqual({ 'us-east-1a': 'subnet-0123abcd', 'us-east-1b': 'subnet-4567cdef' });
    const hsmTooEarly = await awsCli(t.url, ['cloudhsmv2', 'create-hsm', '--cluster-id', clusterId, '--availability-zone', 'us-east-1a']);
    expect(hsmTooEarly.code).toBe(254);
    expect(hsmTooEarly.stderr).toContain('An error occurred (CloudHsmInvalidRequestException) when calling the CreateHsm operation');
    expect(hsmTooEarly.stderr).toContain(`: Cannot create an HSM while cluster ${clusterId} is in state CREATE_IN_PROGRESS.`);

    await t.advanceClock(60);
    const described = await awsCli(t.url, ['cloudhsmv2', 'describe-clusters', '--filters', `clusterIds=${clusterId}`]);
    expect(described.code).toBe(0);
    expect((described.json as { Clusters: { State: string }[] }).Clusters[0].State).toBe('UNINITIALIZED');
  });

  it('creates an HSM: CREATE_IN_PROGRESS, then ACTIVE; deleting it: DELETE_IN_PROGRESS, then gone', async () => {
    const created = await awsCli(t.url, ['cloudhsmv2', 'create-hsm', '--cluster-id', clusterId, '--availability-zone', 'us-east-1b']);
    expect(created.code).toBe(0);
    const { HsmId, State } = (created.json as { Hsm: { HsmId: string; State: string } }).Hsm;
    expect(State).toBe('CREATE_IN_PROGRESS');
    await t.advanceClock(60);
    const states = async () =>
      (await hsm.send(new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }))).Clusters?.[0].Hsms?.map((h) => h.State);
    expect(await states()).toEqual(['ACTIVE']);
    const deleted = await awsCli(t.url, ['cloudhsmv2', 'delete-hsm', '--cluster-id', clusterId, '--hsm-id', HsmId]);
    expect(deleted.json).toEqual({ HsmId });
    expect(await states()).toEqual(['DELETE_IN_PROGRESS']);
    await t.advanceClock(60);
    expect(await states()).toEqual([]);
  });

  it('tags a cluster with the CLI', async () => {
    expect(
      (
        await awsCli(t.url, [
          'cloudhsmv2',
          'tag-resource',
          '--resource-id',
          clusterId,
          '--tag-list',
          'Key=env,Value=test',
          'Key=owner,Value=me',
        ])
      ).code,
    ).toBe(0);
    expect((await awsCli(t.url, ['cloudhsmv2', 'untag-resource', '--resource-id', clusterId, '--tag-key-list', 'owner'])).code).toBe(0);
    const listed = await awsCli(t.url, ['cloudhsmv2', 'list-tags', '--resource-id', clusterId]);
    expect(listed.json).toEqual({ TagList: [{ Key: 'env', Value: 'test' }] });
    const reserved = await awsCli(t.url, ['cloudhsmv2', 'tag-resource', '--resource-id', clusterId, '--tag-list', 'Key=aws:x,Value=y']);
    expect(reserved.code).toBe(254);
    expect(reserved.stderr).toContain('(CloudHsmTagException) when calling the TagResource operation');
    expect(reserved.stderr).toContain(': Tag keys beginning with aws: are reserved.');
  });

  it('deletes the empty cluster: DELETE_IN_PROGRESS, then DELETED', async () => {
    const deleted = await awsCli(t.url, ['cloudhsmv2', 'delete-cluster', '--cluster-id', clusterId]);
    expect((deleted.json as { Cluster: { State: string } }).Cluster.State).toBe('DELETE_IN_PROGRESS');
    await t.advanceClock(60);
    const { Clusters } = await hsm.send(new DescribeClustersCommand({ Filters: { states: ['DELETED'] } }));
    expect(Clusters?.map((c) => c.ClusterId)).toEqual([clusterId]);
  });
});

describe('wire errors, pagination and limits', () => {
  it('answers {"__type", "Message"} with status 400 for an unknown cluster', async () => {
    const res = await call('DescribeBackups', { Filters: { clusterIdz: ['x'] } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      __type: 'CloudHsmInvalidRequestException',
      Message: 'Invalid filter clusterIdz. Valid filters: backupIds, sourceBackupIds, clusterIds, states, neverExpires.',
    });
    const missing = await call('ModifyCluster', { ClusterId: 'cluster-aaaaaaaaaaa', BackupRetentionPolicy: { Type: 'DAYS', Value: '30' } });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ __type: 'CloudHsmResourceNotFoundException', Message: 'Cluster cluster-aaaaaaaaaaa not found.' });
  });

  it('validates the retention policy and the HSM type', async () => {
    await expect(
      hsm.send(
        new CreateClusterCommand({
          HsmType: 'hsm2m.medium',
          SubnetIds: ['subnet-0123abcd'],
          BackupRetentionPolicy: { Type: 'DAYS', Value: '6' },
        }),
      ),
    ).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message: 'The backup retention period must be between 7 and 379 days.',
    });
    const nonFips = await call('CreateCluster', { HsmType: 'hsm1.medium', SubnetIds: ['subnet-0123abcd'], Mode: 'NON_FIPS' });
    expect(nonFips.body).toEqual({
      __type: 'CloudHsmInvalidRequestException',
      Message: 'HSM type hsm1.medium does not support mode NON_FIPS.',
    });
  });

  it('pages DescribeClusters and enforces 4 clusters per account and Region', async () => {
    for (let i = 0; i < 4; i++) await hsm.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0123abcd'] }));
    await expect(hsm.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0123abcd'] }))).rejects.toMatchObject({
      name: 'CloudHsmResourceLimitExceededException',
      message: 'The account already has the maximum number of clusters (4) in this Region.',
    });
    await t.advanceClock(60);
    const first = await hsm.send(new DescribeClustersCommand({ MaxResults: 3 }));
    expect(first.Clusters).toHaveLength(3);
    const rest = await hsm.send(new DescribeClustersCommand({ MaxResults: 3, NextToken: first.NextToken }));
    expect(rest.NextToken).toBeUndefined();
    const ids = [...(first.Clusters ?? []), ...(rest.Clusters ?? [])].map((c) => c.ClusterId);
    expect(new Set(ids).size).toBe(5); // 4 live + the DELETED one
    await expect(hsm.send(new DescribeClustersCommand({ NextToken: 'bm90LWEtdG9rZW4' }))).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message: 'The NextToken value is not valid.',
    });
  });

  it('keeps accounts apart: another account sees none of these clusters and cannot tag them', async () => {
    const other = t.cloudhsm({ accessKeyId: OTHER.accessKeyId, secretAccessKey: OTHER.secretAccessKey });
    expect((await other.send(new DescribeClustersCommand({}))).Clusters).toEqual([]);
    const [mine] = (await hsm.send(new DescribeClustersCommand({ Filters: { states: ['UNINITIALIZED'] } }))).Clusters ?? [];
    await expect(other.send(new ListTagsCommand({ ResourceId: mine.ClusterId }))).rejects.toMatchObject({
      name: 'CloudHsmResourceNotFoundException',
      message: `Cluster ${mine.ClusterId} not found.`,
    });
  });
});

describe('backup resource policies and sharing', () => {
  it("puts, gets and deletes a backup policy; the shared backup seeds another account's cluster", async () => {
    // An initialized cluster with a backup (taken when the second HSM joins).
    const ssl = new OpensslWorkspace();
    const { Clusters } = await hsm.send(new DescribeClustersCommand({ Filters: { states: ['UNINITIALIZED'] } }));
    const clusterId = Clusters?.[0].ClusterId ?? '';
    await hsm.send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: 'us-east-1a' }));
    await t.advanceClock(60);
    const csr =
      (await hsm.send(new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }))).Clusters?.[0].Certificates?.ClusterCsr ?? '';
    const ca = await ssl.makeCa('share-ca');
    const init = await hsm.send(
      new InitializeClusterCommand({ ClusterId: clusterId, SignedCert: await ssl.signCsr(ca, csr), TrustAnchor: ca.pem }),
    );
    expect(init.State).toBe('INITIALIZE_IN_PROGRESS');
    await t.advanceClock(60);
    await hsm.send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: 'us-east-1a' }));
    const backups = (await call('DescribeBackups', { Filters: { clusterIds: [clusterId] } })).body.Backups as {
      BackupId: string;
      BackupArn: string;
      HsmType: string;
    }[];
    expect(backups).toHaveLength(1);
    const [backup] = backups;
    expect(backup.BackupArn).toBe(`arn:aws:cloudhsm:us-east-1:111122223333:backup/${backup.BackupId}`);
    expect(backup.HsmType).toBe('hsm2m.medium');

    const otherCreds = { accessKeyId: OTHER.accessKeyId, secretAccessKey: OTHER.secretAccessKey };
    const fromShared = { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-89abcdef'], SourceBackupId: backup.BackupArn };
    expect((await call('CreateCluster', fromShared, otherCreds)).body).toEqual({
      __type: 'CloudHsmResourceNotFoundException',
      Message: `Backup ${backup.BackupArn} not found.`,
    });

    expect((await call('GetResourcePolicy', { ResourceArn: backup.BackupArn })).body).toEqual({});
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: OTHER.accountId },
          Action: ['cloudhsm:CreateCluster', 'cloudhsm:DescribeBackups'],
          Resource: backup.BackupArn,
        },
      ],
    });
    expect((await call('PutResourcePolicy', { ResourceArn: backup.BackupArn, Policy: '{"not": "a policy"}' })).body).toEqual({
      __type: 'CloudHsmInvalidRequestException',
      Message: 'The resource policy must be a JSON document with at least one Statement.',
    });
    expect((await call('PutResourcePolicy', { ResourceArn: backup.BackupArn, Policy: policy })).body).toEqual({
      ResourceArn: backup.BackupArn,
      Policy: policy,
    });
    expect((await call('GetResourcePolicy', { ResourceArn: backup.BackupArn })).body).toEqual({ Policy: policy });

    const shared = await call('DescribeBackups', { Shared: true }, otherCreds);
    expect((shared.body.Backups as { BackupId: string }[]).map((b) => b.BackupId)).toEqual([backup.BackupId]);
    const created = await call('CreateCluster', fromShared, otherCreds);
    expect(created.status).toBe(200);
    const cluster = created.body.Cluster as { SourceBackupId: string; Certificates: { ClusterCertificate: string } };
    expect(cluster.SourceBackupId).toBe(backup.BackupId);
    expect(cluster.Certificates.ClusterCertificate).toMatch(/^-----BEGIN CERTIFICATE-----/);

    expect((await call('DeleteResourcePolicy', { ResourceArn: backup.BackupArn })).body).toEqual({
      ResourceArn: backup.BackupArn,
      Policy: policy,
    });
    expect((await call('GetResourcePolicy', { ResourceArn: backup.BackupArn })).body).toEqual({});
    expect(((await call('DescribeBackups', { Shared: true }, otherCreds)).body.Backups as unknown[]).length).toBe(0);
    expect((await call('GetResourcePolicy', { ResourceArn: `arn:aws:cloudhsm:us-east-1:111122223333:cluster/${clusterId}` })).body).toEqual(
      {
        __type: 'CloudHsmInvalidRequestException',
        Message: 'Resource policies can only be attached to backups.',
      },
    );
  });
});

describe('ModifyCluster', () => {
  it('migrates hsm1.medium to hsm2m.medium only, and needs something to change', async () => {
    const who = { accessKeyId: OTHER.accessKeyId, secretAccessKey: OTHER.secretAccessKey };
    const created = await call('CreateCluster', { HsmType: 'hsm1.medium', SubnetIds: ['subnet-0123abcd'] }, who);
    const clusterId = (created.body.Cluster as { ClusterId: string }).ClusterId;
    await t.advanceClock(60);
    expect((await call('ModifyCluster', { ClusterId: clusterId }, who)).body).toEqual({
      __type: 'CloudHsmInvalidRequestException',
      Message: 'Specify a BackupRetentionPolicy or an HsmType to modify.',
    });
    const modified = await call(
      'ModifyCluster',
      { ClusterId: clusterId, HsmType: 'hsm2m.medium', BackupRetentionPolicy: { Type: 'DAYS', Value: '379' } },
      who,
    );
    expect(modified.body.Cluster).toMatchObject({ HsmType: 'hsm2m.medium', BackupRetentionPolicy: { Type: 'DAYS', Value: '379' } });
    expect((await call('ModifyCluster', { ClusterId: clusterId, HsmType: 'hsm1.medium' }, who)).body).toEqual({
      __type: 'CloudHsmInvalidRequestException',
      Message: 'Cannot change the HSM type from hsm2m.medium to hsm1.medium.',
    });
    const described = await call('DescribeClusters', { Filters: { clusterIds: [clusterId] } }, who);
    expect((described.body.Clusters as { HsmType: string }[])[0].HsmType).toBe('hsm2m.medium');
  });
});
