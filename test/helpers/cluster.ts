/**
 * The customer's CloudHSM setup for a KMS custom key store, done as AWS documents it, with
 * real clients only: the CloudHSM V2 SDK (CreateCluster, CreateHsm in two AZs,
 * DescribeClusters for the CSR, InitializeCluster), `openssl` to sign the CSR with a
 * self-signed customer CA (the trust anchor), then `kmsd hsm cluster activate` and
 * `kmsd hsm user create kmsuser` (the CloudHSM CLI steps). Meant for a kmsd whose CloudHSM
 * transitions are instant (config `cloudhsm.transitionMs: 0`).
 */
import {
  CreateClusterCommand,
  CreateHsmCommand,
  DeleteClusterCommand,
  DeleteHsmCommand,
  DescribeBackupsCommand,
  DescribeClustersCommand,
  InitializeClusterCommand,
} from '@aws-sdk/client-cloudhsm-v2';
import type { CloudHSMV2Client, Cluster } from '@aws-sdk/client-cloudhsm-v2';
import { awsCli } from './kmsd.js';
import type { TestKmsd } from './kmsd.js';
import { hsmCli } from './hsm-cli.js';
import { OpensslWorkspace } from './openssl.js';

export const ADMIN_PASSWORD = 'adminPswd1';
export const SUBNETS = ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'];
const ZONES = ['us-east-1a', 'us-east-1b'];

export interface ReadyCluster {
  clusterId: string;
  /** PEM of the customer CA that signed the cluster certificate (customerCA.crt). */
  trustAnchor: string;
}

const ssl = new OpensslWorkspace();

/** Runs /usr/bin/aws and returns its JSON output, failing the test on any error. */
export async function aws(url: string, args: string[]): Promise<Record<string, unknown>> {
  const r = await awsCli(url, args);
  if (r.code !== 0) throw new Error(`aws ${args.slice(0, 2).join(' ')} failed (${r.code}): ${r.stderr}`);
  return (r.json ?? {}) as Record<string, unknown>;
}

async function hsm(url: string, args: string[]): Promise<void> {
  const r = await hsmCli(url, args);
  if (r.code !== 0) throw new Error(`kmsd hsm ${args.slice(0, 2).join(' ')} failed (${r.code}): ${r.stderr}`);
}

/** What the cluster steps need of a kmsd: its URL and a CloudHSM V2 client (a started process will do). */
export type ClusterEndpoint = Pick<TestKmsd, 'url' | 'cloudhsm'>;

const clients = new WeakMap<ClusterEndpoint, CloudHSMV2Client>();
function api(t: ClusterEndpoint): CloudHSMV2Client {
  let client = clients.get(t);
  if (!client) {
    client = t.cloudhsm();
    clients.set(t, client);
  }
  return client;
}

export async function describeCluster(t: ClusterEndpoint, clusterId: string): Promise<Cluster> {
  const { Clusters } = await api(t).send(new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }));
  const cluster = Clusters?.[0];
  if (!cluster) throw new Error(`cluster ${clusterId} not found`);
  return cluster;
}

/** `aws cloudhsmv2 create-cluster` on the test subnets, with `--tag-list`. */
export function createClusterCliArgs(tags: { Key: string; Value: string }[]): string[] {
  const tagList = tags.map((tag) => `Key=${tag.Key},Value=${tag.Value}`);
  return ['cloudhsmv2', 'create-cluster', '--hsm-type', 'hsm2m.medium', '--subnet-ids', ...SUBNETS, '--tag-list', ...tagList];
}

/** Tags, when given, go through `/usr/bin/aws cloudhsmv2 create-cluster --tag-list` (how an operator sets kmsd's tags). */
async function createClusterWithHsms(
  t: ClusterEndpoint,
  sourceBackupId?: string,
  tags?: { Key: string; Value: string }[],
): Promise<string> {
  let clusterId: string;
  if (tags) {
    const out = await aws(t.url, createClusterCliArgs(tags));
    clusterId = (out.Cluster as { ClusterId: string }).ClusterId;
  } else {
    const { Cluster } = await api(t).send(
      new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: SUBNETS, SourceBackupId: sourceBackupId }),
    );
    clusterId = Cluster?.ClusterId ?? '';
  }
  for (const az of ZONES) await api(t).send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: az }));
  return clusterId;
}

/**
 * A new ACTIVE cluster with two HSMs in two AZs and the crypto user `kmsuser`
 * (create-keystore.md prerequisites).
 */
export async function createKeyStoreCluster(
  t: ClusterEndpoint,
  kmsuserPassword: string,
  options: { tags?: { Key: string; Value: string }[] } = {},
): Promise<ReadyCluster> {
  const clusterId = await createClusterWithHsms(t, undefined, options.tags);
  const csr = (await describeCluster(t, clusterId)).Certificates?.ClusterCsr;
  if (!csr) throw new Error('no ClusterCsr');
  const ca = await ssl.makeCa(`customerCA-${clusterId}`);
  const signed = await ssl.signCsr(ca, csr);
  await api(t).send(new InitializeClusterCommand({ ClusterId: clusterId, SignedCert: signed, TrustAnchor: ca.pem }));
  await hsm(t.url, ['cluster', 'activate', '--cluster-id', clusterId, '--password', ADMIN_PASSWORD]);
  await hsm(t.url, ['user', 'create', ...userArgs(clusterId, kmsuserPassword)]);
  return { clusterId, trustAnchor: ca.pem };
}

/** The newest backup of a cluster (CloudHSM backs up when an HSM is added or removed). */
export async function latestBackup(t: TestKmsd, clusterId: string): Promise<string> {
  const { Backups } = await api(t).send(new DescribeBackupsCommand({ Filters: { clusterIds: [clusterId] } }));
  const newest = [...(Backups ?? [])].sort((a, b) => (a.CreateTimestamp?.getTime() ?? 0) - (b.CreateTimestamp?.getTime() ?? 0)).at(-1);
  if (!newest?.BackupId) throw new Error(`no backup of ${clusterId}`);
  return newest.BackupId;
}

/** Adding an HSM to an active cluster takes a backup: the documented way to get a fresh one. */
export async function backupNow(t: TestKmsd, clusterId: string): Promise<string> {
  const { Hsm } = await api(t).send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: ZONES[0] }));
  await api(t).send(new DeleteHsmCommand({ ClusterId: clusterId, HsmId: Hsm?.HsmId }));
  return latestBackup(t, clusterId);
}

/** CreateCluster with SourceBackupId plus two HSMs: ACTIVE with the backup's users and keys. */
export async function restoreCluster(t: TestKmsd, backupId: string): Promise<string> {
  return createClusterWithHsms(t, backupId);
}

/** Deletes every HSM of a cluster (each deletion backs it up first). */
export async function deleteHsms(t: TestKmsd, clusterId: string): Promise<void> {
  for (const h of (await describeCluster(t, clusterId)).Hsms ?? []) {
    await api(t).send(new DeleteHsmCommand({ ClusterId: clusterId, HsmId: h.HsmId }));
  }
}

/** Deletes a cluster as AWS requires: every HSM first, then the cluster. */
export async function deleteCluster(t: TestKmsd, clusterId: string): Promise<void> {
  await deleteHsms(t, clusterId);
  await api(t).send(new DeleteClusterCommand({ ClusterId: clusterId }));
}

/** `kmsd hsm` options naming kmsuser with a password (login, logout, key list). */
export function kmsuserArgs(clusterId: string, password: string): string[] {
  return ['--cluster-id', clusterId, '--username', 'kmsuser', '--role', 'crypto-user', '--password', password];
}

function userArgs(clusterId: string, password: string): string[] {
  return ['--admin-password', ADMIN_PASSWORD, ...kmsuserArgs(clusterId, password)];
}

/** `kmsd hsm user change-password` as the cluster's admin (also unlocks a locked-out user). */
export async function resetKmsuserPassword(t: TestKmsd, clusterId: string, password: string): Promise<void> {
  await hsm(t.url, ['user', 'change-password', ...userArgs(clusterId, password)]);
}
