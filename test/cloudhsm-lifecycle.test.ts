/**
 * A cluster's life through @aws-sdk/client-cloudhsm-v2: two subnets, HSMs in two AZs, the
 * CSR signed by an openssl CA, initialization, the hardware certificate chain, backups on
 * HSM add/remove and on the clock, delete/restore of backups, a cluster created from a
 * backup, and deletion. HSM contents are the fake from helpers (see cloudhsm-contents.test.ts
 * for the real HSM module).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CopyBackupToRegionCommand,
  CreateClusterCommand,
  CreateHsmCommand,
  DeleteBackupCommand,
  DeleteClusterCommand,
  DeleteHsmCommand,
  DescribeBackupsCommand,
  DescribeClustersCommand,
  InitializeClusterCommand,
  ModifyBackupAttributesCommand,
  ModifyClusterCommand,
  RestoreBackupCommand,
} from '@aws-sdk/client-cloudhsm-v2';
import type { Backup, CloudHSMV2Client, Cluster } from '@aws-sdk/client-cloudhsm-v2';
import { rawRequest, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { fakeHsmContents } from './helpers/fake-hsm-contents.js';
import { OpensslWorkspace } from './helpers/openssl.js';
import { defaultConfig } from '../src/config.js';

const SUBNET_A = 'subnet-0a1b2c3d4e5f60718';
const SUBNET_B = 'subnet-1a2b3c4d';
const DAY = 24 * 60 * 60;

let t: TestKmsd;
let hsm: CloudHSMV2Client;
const contents = fakeHsmContents();
const ssl = new OpensslWorkspace();

beforeAll(async () => {
  // Two configured subnets share an AZ, to test the one-subnet-per-AZ rule.
  const config = {
    ...defaultConfig(),
    subnets: { 'subnet-aaaa1111': 'us-east-1c', 'subnet-bbbb2222': 'us-east-1c' },
    cloudhsm: { transitionMs: 0 },
  };
  t = await startKmsd({ config, hsmContents: contents });
  hsm = t.cloudhsm();
});
afterAll(async () => t.close());

async function describeCluster(id: string | undefined): Promise<Cluster> {
  const { Clusters } = await hsm.send(new DescribeClustersCommand({ Filters: { clusterIds: [id ?? ''] } }));
  expect(Clusters).toHaveLength(1);
  return Clusters?.[0] ?? {};
}

async function backupsOf(clusterId: string | undefined): Promise<Backup[]> {
  return (await hsm.send(new DescribeBackupsCommand({ Filters: { clusterIds: [clusterId ?? ''] }, SortAscending: true }))).Backups ?? [];
}

describe('a cluster from creation to deletion', () => {
  let cluster: Cluster;
  let csr: string;
  let clusterCertificate: string;
  const hsmIds: string[] = [];

  it('creates a cluster with two subnets placed in two AZs', async () => {
    const res = await hsm.send(
      new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: [SUBNET_A, SUBNET_B], TagList: [{ Key: 'team', Value: 'crypto' }] }),
    );
    cluster = res.Cluster ?? {};
    expect(cluster.ClusterId).toMatch(/^cluster-[a-z2-7]{11}$/);
    expect(cluster.State).toBe('UNINITIALIZED');
    expect(cluster.SubnetMapping).toEqual({ 'us-east-1a': SUBNET_A, 'us-east-1b': SUBNET_B });
    expect(cluster.VpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(cluster.SecurityGroup).toMatch(/^sg-[0-9a-f]{17}$/);
    expect(cluster.BackupRetentionPolicy).toEqual({ Type: 'DAYS', Value: '90' });
    expect(cluster.TagList).toEqual([{ Key: 'team', Value: 'crypto' }]);
    expect(cluster.Hsms).toEqual([]);
    const byVpc = await hsm.send(new DescribeClustersCommand({ Filters: { vpcIds: [cluster.VpcId ?? ''] } }));
    expect(byVpc.Clusters?.map((c) => c.ClusterId)).toEqual([cluster.ClusterId]);
    expect((await hsm.send(new DescribeClustersCommand({ Filters: { vpcIds: ['vpc-0123456789abcdef0'] } }))).Clusters).toEqual([]);
    const again = await describeCluster(cluster.ClusterId);
    expect(again.VpcId).toBe(cluster.VpcId);
    expect(again.CreateTimestamp).toEqual(cluster.CreateTimestamp);
  });

  it('refuses two subnets in one Availability Zone', async () => {
    await expect(
      hsm.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-aaaa1111', 'subnet-bbbb2222'] })),
    ).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message:
        'Subnets subnet-aaaa1111 and subnet-bbbb2222 are in the same Availability Zone (us-east-1c); use one subnet per Availability Zone.',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('refuses an HSM in an AZ without a cluster subnet', async () => {
    await expect(hsm.send(new CreateHsmCommand({ ClusterId: cluster.ClusterId, AvailabilityZone: 'us-east-1d' }))).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message: `Cluster ${cluster.ClusterId} has no subnet in Availability Zone us-east-1d. Its Availability Zones: us-east-1a, us-east-1b.`,
    });
  });

  it('refuses to initialize before the first HSM made a CSR', async () => {
    await expect(
      hsm.send(new InitializeClusterCommand({ ClusterId: cluster.ClusterId, SignedCert: 'x', TrustAnchor: 'y' })),
    ).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message: `Cluster ${cluster.ClusterId} has no certificate signing request yet; create an HSM in it first.`,
    });
  });

  it('stores nothing when the first HSM fails to come up', async () => {
    contents.failNext = 'initialize';
    // A raw request: the SDK would retry a 500.
    const failed = await rawRequest(t.url, {
      service: 'cloudhsm',
      target: 'BaldrApiService.CreateHsm',
      body: JSON.stringify({ ClusterId: cluster.ClusterId, AvailabilityZone: 'us-east-1a' }),
    });
    expect(failed.status).toBe(500);
    expect(failed.body.__type).toBe('CloudHsmInternalFailureException');
    const described = await describeCluster(cluster.ClusterId);
    expect(described.Hsms).toEqual([]);
    expect(described.Certificates).toEqual({});
    expect(contents.calls).toEqual([]);
  });

  it('adds two HSMs in two AZs; the first one produces the CSR and certificates', async () => {
    const first = await hsm.send(new CreateHsmCommand({ ClusterId: cluster.ClusterId, AvailabilityZone: 'us-east-1a' }));
    expect(first.Hsm).toMatchObject({
      ClusterId: cluster.ClusterId,
      AvailabilityZone: 'us-east-1a',
      SubnetId: SUBNET_A,
      State: 'ACTIVE',
      HsmType: 'hsm2m.medium',
    });
    expect(first.Hsm?.HsmId).toMatch(/^hsm-[a-z2-7]{11}$/);
    expect(first.Hsm?.EniId).toMatch(/^eni-[0-9a-f]{17}$/);
    const second = await hsm.send(
      new CreateHsmCommand({ ClusterId: cluster.ClusterId, AvailabilityZone: 'us-east-1b', IpAddress: '10.0.1.20' }),
    );
    expect(second.Hsm).toMatchObject({ AvailabilityZone: 'us-east-1b', SubnetId: SUBNET_B, EniIp: '10.0.1.20' });
    hsmIds.push(first.Hsm?.HsmId ?? '', second.Hsm?.HsmId ?? '');
    expect(contents.calls).toEqual([`initialize ${cluster.ClusterId}`]);

    const described = await describeCluster(cluster.ClusterId);
    expect(described.Hsms?.map((h) => h.HsmId)).toEqual(hsmIds);
    csr = described.Certificates?.ClusterCsr ?? '';
    expect(csr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    expect(described.Certificates?.ClusterCertificate).toBeUndefined();
    // Not initialized yet: adding HSMs takes no backup.
    expect(await backupsOf(cluster.ClusterId)).toEqual([]);
  });

  it("proves the HSM's identity: hardware certificates chain to kmsd's roots, HSM key = CSR key", async () => {
    const certs = (await describeCluster(cluster.ClusterId)).Certificates ?? {};
    const awsRoot = await (await fetch(`${t.url}/cloudhsm/hardware-roots/aws.pem`)).text();
    const manufacturerRoot = await (await fetch(`${t.url}/cloudhsm/hardware-roots/manufacturer.pem`)).text();
    const viaAws = await ssl.verify(awsRoot, certs.AwsHardwareCertificate ?? '', certs.HsmCertificate ?? '');
    expect(viaAws.code).toBe(0);
    expect(viaAws.stdout).toMatch(/: OK$/m);
    const viaManufacturer = await ssl.verify(manufacturerRoot, certs.ManufacturerHardwareCertificate ?? '', certs.HsmCertificate ?? '');
    expect(viaManufacturer.code).toBe(0);
    // Crossed roots must not verify: the check can fail.
    expect((await ssl.verify(manufacturerRoot, certs.AwsHardwareCertificate ?? '', certs.HsmCertificate ?? '')).code).not.toBe(0);
    expect(await ssl.publicKey(certs.HsmCertificate ?? '', 'x509')).toBe(await ssl.publicKey(csr, 'req'));
  });

  it('rejects a signed certificate that does not carry the CSR key, or is not issued by the trust anchor', async () => {
    const ca = await ssl.makeCa('customer-ca');
    const otherCa = await ssl.makeCa('other-ca');
    const wrongKey = await ssl.signCsr(ca, await ssl.otherCsr());
    await expect(
      hsm.send(new InitializeClusterCommand({ ClusterId: cluster.ClusterId, SignedCert: wrongKey, TrustAnchor: ca.pem })),
    ).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message: "The signed certificate's public key does not match the cluster's certificate signing request.",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      hsm.send(new InitializeClusterCommand({ ClusterId: cluster.ClusterId, SignedCert: 'bm90IGEgY2VydA==', TrustAnchor: ca.pem })),
    ).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message: 'The signed certificate is not a valid PEM-encoded X.509 certificate.',
    });
    const byOtherCa = await ssl.signCsr(otherCa, csr);
    await expect(
      hsm.send(new InitializeClusterCommand({ ClusterId: cluster.ClusterId, SignedCert: byOtherCa, TrustAnchor: ca.pem })),
    ).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message: 'The signed certificate was not issued by the trust anchor.',
    });
    // The cluster certificate itself is not self-signed, so it cannot be a trust anchor.
    await expect(
      hsm.send(new InitializeClusterCommand({ ClusterId: cluster.ClusterId, SignedCert: byOtherCa, TrustAnchor: byOtherCa })),
    ).rejects.toMatchObject({
      message: 'The trust anchor must be a self-signed root certificate.',
    });
    expect((await describeCluster(cluster.ClusterId)).State).toBe('UNINITIALIZED');

    clusterCertificate = await ssl.signCsr(ca, csr);
    const init = await hsm.send(
      new InitializeClusterCommand({ ClusterId: cluster.ClusterId, SignedCert: clusterCertificate, TrustAnchor: ca.pem }),
    );
    expect(init.State).toBe('INITIALIZED');
    const described = await describeCluster(cluster.ClusterId);
    expect(described.State).toBe('INITIALIZED');
    expect(described.Certificates?.ClusterCertificate).toBe(clusterCertificate);
    expect(described.Certificates?.ClusterCsr).toBeUndefined();
    expect(described.Certificates?.HsmCertificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('refuses to delete a cluster that still has HSMs', async () => {
    await expect(hsm.send(new DeleteClusterCommand({ ClusterId: cluster.ClusterId }))).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message: `Cluster ${cluster.ClusterId} still has 2 HSM(s). Delete all HSMs in the cluster before deleting the cluster.`,
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('takes a backup when an HSM is added and when one is removed', async () => {
    contents.touch(cluster.ClusterId ?? '');
    const third = await hsm.send(new CreateHsmCommand({ ClusterId: cluster.ClusterId, AvailabilityZone: 'us-east-1a' }));
    let backups = await backupsOf(cluster.ClusterId);
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatchObject({ BackupState: 'READY', ClusterId: cluster.ClusterId, NeverExpires: false });

    contents.touch(cluster.ClusterId ?? '');
    const deleted = await hsm.send(new DeleteHsmCommand({ ClusterId: cluster.ClusterId, EniIp: third.Hsm?.EniIp }));
    expect(deleted.HsmId).toBe(third.Hsm?.HsmId);
    backups = await backupsOf(cluster.ClusterId);
    expect(backups).toHaveLength(2);
    // Newest first by default, one per page here.
    const page1 = await hsm.send(new DescribeBackupsCommand({ Filters: { clusterIds: [cluster.ClusterId ?? ''] }, MaxResults: 1 }));
    const page2 = await hsm.send(
      new DescribeBackupsCommand({ Filters: { clusterIds: [cluster.ClusterId ?? ''] }, MaxResults: 1, NextToken: page1.NextToken }),
    );
    expect([...(page1.Backups ?? []), ...(page2.Backups ?? [])].map((b) => b.BackupId)).toEqual([backups[1].BackupId, backups[0].BackupId]);
    expect(page2.NextToken).toBeUndefined();
    expect((await describeCluster(cluster.ClusterId)).Hsms?.map((h) => h.HsmId)).toEqual(hsmIds);
    await expect(hsm.send(new DeleteHsmCommand({ ClusterId: cluster.ClusterId, HsmId: third.Hsm?.HsmId }))).rejects.toMatchObject({
      name: 'CloudHsmResourceNotFoundException',
      message: `HSM ${third.Hsm?.HsmId} not found in cluster ${cluster.ClusterId}.`,
    });
  });

  it('deletes a backup into PENDING_DELETION and restores it', async () => {
    const [backup] = await backupsOf(cluster.ClusterId);
    const deleted = await hsm.send(new DeleteBackupCommand({ BackupId: backup.BackupId }));
    expect(deleted.Backup?.BackupState).toBe('PENDING_DELETION');
    expect(deleted.Backup?.DeleteTimestamp).toBeInstanceOf(Date);
    await expect(hsm.send(new DeleteBackupCommand({ BackupId: backup.BackupId }))).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message: `Cannot delete backup ${backup.BackupId} in state PENDING_DELETION.`,
    });
    const restored = await hsm.send(new RestoreBackupCommand({ BackupId: backup.BackupId }));
    expect(restored.Backup?.BackupState).toBe('READY');
    expect(restored.Backup?.DeleteTimestamp).toBeUndefined();
  });

  it('applies the retention policy on the clock, sparing NeverExpires and the latest backup', async () => {
    const [older, newer] = await backupsOf(cluster.ClusterId);
    await hsm.send(new ModifyClusterCommand({ ClusterId: cluster.ClusterId, BackupRetentionPolicy: { Type: 'DAYS', Value: '7' } }));
    const kept = await hsm.send(new ModifyBackupAttributesCommand({ BackupId: older.BackupId, NeverExpires: true }));
    expect(kept.Backup?.NeverExpires).toBe(true);

    await t.advanceClock(8 * DAY);
    let backups = await backupsOf(cluster.ClusterId);
    // The daily backup came, the 8-day-old one expired, the NeverExpires one stayed.
    expect(backups).toHaveLength(3);
    expect(backups.map((b) => [b.BackupId, b.BackupState])).toEqual([
      [older.BackupId, 'READY'],
      [newer.BackupId, 'PENDING_DELETION'],
      [backups[2].BackupId, 'READY'],
    ]);
    const neverExpiring = await hsm.send(new DescribeBackupsCommand({ Filters: { neverExpires: ['true'] } }));
    expect(neverExpiring.Backups?.map((b) => b.BackupId)).toEqual([older.BackupId]);

    // Seven days after deletion, a pending backup is purged.
    await t.advanceClock(7 * DAY);
    backups = await backupsOf(cluster.ClusterId);
    expect(backups.map((b) => b.BackupId)).not.toContain(newer.BackupId);
    expect(backups.map((b) => b.BackupId)).toContain(older.BackupId);
  });

  it('creates a cluster from a backup: same ClusterCertificate, contents restored by its first HSM', async () => {
    const [backup] = await backupsOf(cluster.ClusterId);
    const snapshot = contents.clusters.get(`111122223333/us-east-1/${cluster.ClusterId}`);
    const created = await hsm.send(
      new CreateClusterCommand({
        HsmType: 'hsm2m.medium',
        SubnetIds: [SUBNET_A, SUBNET_B],
        SourceBackupId: `arn:aws:cloudhsm:us-east-1:111122223333:backup/${backup.BackupId}`,
      }),
    );
    const restoredId = created.Cluster?.ClusterId ?? '';
    expect(created.Cluster?.SourceBackupId).toBe(backup.BackupId);
    expect(created.Cluster?.Certificates?.ClusterCertificate).toBe(clusterCertificate);
    await expect(
      hsm.send(new InitializeClusterCommand({ ClusterId: restoredId, SignedCert: clusterCertificate, TrustAnchor: clusterCertificate })),
    ).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message: `Cluster ${restoredId} was created from a backup and needs no initialization.`,
    });
    await hsm.send(new CreateHsmCommand({ ClusterId: restoredId, AvailabilityZone: 'us-east-1b' }));
    const restored = await describeCluster(restoredId);
    expect(restored.State).toBe('ACTIVE');
    expect(restored.Certificates?.ClusterCertificate).toBe(clusterCertificate);
    expect(restored.Certificates?.ClusterCsr).toBeUndefined();
    expect(contents.calls.at(-1)).toMatch(new RegExp(`^restore ${restoredId} initialized:${cluster.ClusterId}#\\d+$`));
    expect(contents.clusters.get(`111122223333/us-east-1/${restoredId}`)).not.toBe(undefined);
    expect(snapshot).toBeDefined();
  });

  it('copies a backup to another Region', async () => {
    const [backup] = await backupsOf(cluster.ClusterId);
    const copy = await hsm.send(
      new CopyBackupToRegionCommand({
        BackupId: backup.BackupId,
        DestinationRegion: 'us-west-2',
        TagList: [{ Key: 'copy', Value: 'yes' }],
      }),
    );
    expect(copy.DestinationBackup).toMatchObject({
      SourceRegion: 'us-east-1',
      SourceBackup: backup.BackupId,
      SourceCluster: cluster.ClusterId,
    });
    const west = t.cloudhsm({ region: 'us-west-2' });
    const found = await west.send(new DescribeBackupsCommand({ Filters: { sourceBackupIds: [backup.BackupId ?? ''] } }));
    expect(found.Backups).toHaveLength(1);
    expect(found.Backups?.[0]).toMatchObject({
      SourceRegion: 'us-east-1',
      SourceCluster: cluster.ClusterId,
      BackupState: 'READY',
      TagList: [{ Key: 'copy', Value: 'yes' }],
    });
    expect(found.Backups?.[0].CopyTimestamp).toBeInstanceOf(Date);
    // The source Region does not see the copy, the destination does not see the source.
    expect((await hsm.send(new DescribeBackupsCommand({ Filters: { sourceBackupIds: [backup.BackupId ?? ''] } }))).Backups).toEqual([]);
    await expect(west.send(new DeleteBackupCommand({ BackupId: backup.BackupId }))).rejects.toMatchObject({
      name: 'CloudHsmResourceNotFoundException',
      message: `Backup ${backup.BackupId} not found.`,
    });
  });

  it('deletes the HSMs, then the cluster (DELETED), and drops its contents', async () => {
    for (const id of hsmIds) await hsm.send(new DeleteHsmCommand({ ClusterId: cluster.ClusterId, HsmId: id }));
    const res = await hsm.send(new DeleteClusterCommand({ ClusterId: cluster.ClusterId }));
    expect(res.Cluster?.State).toBe('DELETED');
    expect(contents.calls.at(-1)).toBe(`destroy ${cluster.ClusterId}`);
    expect((await describeCluster(cluster.ClusterId)).State).toBe('DELETED');
    await expect(hsm.send(new CreateHsmCommand({ ClusterId: cluster.ClusterId, AvailabilityZone: 'us-east-1a' }))).rejects.toMatchObject({
      name: 'CloudHsmResourceNotFoundException',
      message: `Cluster ${cluster.ClusterId} not found.`,
    });
    // Its backups outlive it.
    expect((await backupsOf(cluster.ClusterId)).length).toBeGreaterThan(0);
  });
});
