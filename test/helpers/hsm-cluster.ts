/**
 * Test setup for the emulated HSMs: writes a ClusterRow the way the CloudHSM V2 API side
 * stores it (INITIALIZED, one ACTIVE HSM per AZ) and initializes its HSM contents, so the
 * HSM module and `kmsd hsm` can be tested without going through CreateCluster/CreateHsm.
 */
import type { Scope, Store } from '../../src/store/store.js';
import { clusterTable } from '../../src/cloudhsm/rows.js';
import type { BackupRow, ClusterRow } from '../../src/cloudhsm/rows.js';
import type { HsmContents } from '../../src/cloudhsm/hsm-contents.js';

export const TEST_SCOPE: Scope = { account: '111122223333', region: 'us-east-1' };

export function clusterRow(clusterId: string, overrides: Partial<ClusterRow> = {}): ClusterRow {
  const hsm = (n: number, az: string) => ({
    HsmId: `hsm-${clusterId.slice(8, 19)}${n}`,
    ClusterId: clusterId,
    AvailabilityZone: az,
    SubnetId: `subnet-0${n}`,
    EniId: `eni-0${n}`,
    EniIp: `10.0.${n}.10`,
    HsmType: 'hsm1.medium',
    State: 'ACTIVE' as const,
  });
  return {
    ClusterId: clusterId,
    HsmType: 'hsm1.medium',
    State: 'INITIALIZED',
    SubnetMapping: { 'us-east-1a': 'subnet-01', 'us-east-1b': 'subnet-02' },
    VpcId: 'vpc-01',
    SecurityGroup: `sg-${clusterId.slice(8)}`,
    CreateTimestamp: 0,
    BackupPolicy: 'DEFAULT',
    BackupRetentionPolicy: { Type: 'DAYS', Value: '90' },
    TagList: [],
    Hsms: [hsm(1, 'us-east-1a'), hsm(2, 'us-east-1b')],
    Certificates: { ClusterCertificate: `-----BEGIN CERTIFICATE-----\n${clusterId}\n-----END CERTIFICATE-----\n` },
    ...overrides,
  };
}

/** A READY backup row of `scope` (empty contents), as saveBackup stores it. */
export function backupRow(scope: Scope, backupId: string, overrides: Partial<BackupRow> = {}): BackupRow {
  return {
    BackupId: backupId,
    BackupArn: `arn:aws:cloudhsm:${scope.region}:${scope.account}:backup/${backupId}`,
    BackupState: 'READY',
    ClusterId: 'cluster-abcdefghijk',
    CreateTimestamp: Date.now(),
    NeverExpires: false,
    HsmType: 'hsm2m.medium',
    TagList: [],
    certificates: {},
    contents: '{}',
    ...overrides,
  };
}

/** An INITIALIZED cluster whose first HSM came up (contents initialized). */
export async function setupCluster(store: Store, contents: HsmContents, clusterId: string, scope: Scope = TEST_SCOPE): Promise<void> {
  await clusterTable(store).put(scope, clusterId, clusterRow(clusterId));
  await contents.initialize(scope, clusterId);
}
