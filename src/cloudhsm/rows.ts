/**
 * Stored rows of the CloudHSM V2 service, shared by the API side (clusters, HSMs,
 * backups: src/cloudhsm/*.ts) and the HSM side (users, sessions, keys: src/cloudhsm/hsm/).
 * Field names follow the CloudHSM V2 model so DescribeClusters/DescribeBackups can return
 * them with little mapping. Times are epoch milliseconds.
 */
import type { Store, Table } from '../store/store.js';
import type { BackupState, ClusterMode, ClusterState, HsmState, NetworkType } from '../generated/cloudhsmv2.js';

export interface HsmRow {
  HsmId: string;
  ClusterId: string;
  AvailabilityZone: string;
  SubnetId: string;
  EniId: string;
  EniIp: string;
  /** Only for DUALSTACK clusters. */
  EniIpV6?: string;
  HsmType: string;
  State: HsmState;
  StateMessage?: string;
  /** When a transitional state (CREATE_IN_PROGRESS, DELETE_IN_PROGRESS) ends. */
  transitionEndsAt?: number;
}

export interface ClusterCertificates {
  ClusterCsr?: string;
  HsmCertificate?: string;
  AwsHardwareCertificate?: string;
  ManufacturerHardwareCertificate?: string;
  ClusterCertificate?: string;
}

export interface ClusterRow {
  ClusterId: string;
  HsmType: string;
  Mode?: ClusterMode;
  NetworkType?: NetworkType;
  State: ClusterState;
  StateMessage?: string;
  /** AZ -> subnet id */
  SubnetMapping: Record<string, string>;
  VpcId: string;
  SecurityGroup: string;
  CreateTimestamp: number;
  BackupPolicy: 'DEFAULT';
  BackupRetentionPolicy: { Type: 'DAYS'; Value: string };
  SourceBackupId?: string;
  PreCoPassword?: string;
  TagList: { Key: string; Value: string }[];
  Hsms: HsmRow[];
  Certificates: ClusterCertificates;
  /** The cluster key pair's private key (PKCS#8 DER, base64), wrapped by the root key. */
  clusterPrivateKeyWrapped?: string;
  /** When the current transitional state ends, and the state that follows. */
  transitionEndsAt?: number;
  stateAfterTransition?: ClusterState;
  /** Contents of the backup this cluster was created from, loaded onto its first HSM. */
  pendingRestore?: string;
  /** When the next daily backup is due (set once the cluster holds contents). */
  nextBackupAt?: number;
  /** When the cluster reached DELETED. */
  deletedAt?: number;
}

export interface BackupRow {
  BackupId: string;
  BackupArn: string;
  BackupState: BackupState;
  ClusterId: string;
  CreateTimestamp: number;
  CopyTimestamp?: number;
  NeverExpires: boolean;
  SourceRegion?: string;
  SourceBackup?: string;
  SourceCluster?: string;
  DeleteTimestamp?: number;
  HsmType: string;
  Mode?: ClusterMode;
  TagList: { Key: string; Value: string }[];
  /** The cluster certificate at backup time: shared by every cluster restored from it. */
  clusterCertificate?: string;
  /** The cluster's other certificates, copied onto a cluster restored from this backup. */
  certificates: ClusterCertificates;
  /** Opaque snapshot of users and keys from HsmContents.snapshot(). */
  contents: string;
  /** The resource policy (JSON text) that shares this backup with other accounts. */
  resourcePolicy?: string;
}

export const CLUSTER_TABLE = 'cloudhsm_clusters';
export const clusterTable = (store: Store): Table<ClusterRow> => store.table<ClusterRow>(CLUSTER_TABLE);
export const backupTable = (store: Store): Table<BackupRow> => store.table<BackupRow>('cloudhsm_backups');
