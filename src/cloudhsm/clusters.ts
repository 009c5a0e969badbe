/**
 * Clusters and their HSMs: lookup, the transitional states, and the DescribeClusters view.
 *
 * Transitional states (CREATE_IN_PROGRESS, INITIALIZE_IN_PROGRESS, DELETE_IN_PROGRESS, and
 * the HSMs' CREATE_IN_PROGRESS/DELETE_IN_PROGRESS) end at a stored time. Reads resolve them
 * lazily from the clock without writing (reads never write); the next write or the periodic
 * sweep (src/cloudhsm/sweeper.ts) stores the result. With transitionMs 0 they end at once.
 */
import type { Cluster, ClusterState, Hsm } from '../generated/cloudhsmv2.js';
import { CloudHsmInvalidRequestException, CloudHsmResourceNotFoundException } from '../generated/cloudhsmv2.js';
import { DAY_MS } from '../core/clock.js';
import { clusterTable } from './rows.js';
import type { ClusterRow, HsmRow } from './rows.js';
import type { CloudHsmContext } from './context.js';

/** States in which the cluster holds contents that a backup can capture. */
export const BACKED_UP_STATES: readonly ClusterState[] = ['INITIALIZED', 'ACTIVE', 'DEGRADED'];

/** The row as it is at `now`: ended transitions applied. Pure: the caller decides to store it. */
export function settleCluster(row: ClusterRow, now: number): ClusterRow {
  const r: ClusterRow = { ...row, Hsms: [] };
  for (const hsm of row.Hsms) {
    if (hsm.transitionEndsAt !== undefined && hsm.transitionEndsAt <= now) {
      if (hsm.State === 'DELETE_IN_PROGRESS') continue; // gone
      const { transitionEndsAt: _ended, ...rest } = hsm;
      void _ended;
      r.Hsms.push({ ...rest, State: 'ACTIVE' });
    } else {
      r.Hsms.push(hsm);
    }
  }
  if (r.transitionEndsAt !== undefined && r.transitionEndsAt <= now && r.stateAfterTransition) {
    r.State = r.stateAfterTransition;
    if (r.State === 'DELETED') r.deletedAt = r.transitionEndsAt;
    delete r.transitionEndsAt;
    delete r.stateAfterTransition;
  }
  return r;
}

/**
 * Until when settleCluster(row, now) stays what it is now (for a row settled already): the
 * earliest transition end left in it, of the cluster or an HSM; Infinity when none is left.
 */
export function settledUntil(row: ClusterRow): number {
  return Math.min(Infinity, ...[row.transitionEndsAt, ...row.Hsms.map((h) => h.transitionEndsAt)].filter((t) => t !== undefined));
}

/** Moves the cluster through `during` to `after`, or straight to `after` when transitions are instant. */
export function beginTransition(ctx: CloudHsmContext, row: ClusterRow, during: ClusterState, after: ClusterState): void {
  if (ctx.deps.transitionMs <= 0) {
    row.State = after;
    if (after === 'DELETED') row.deletedAt = ctx.now.getTime();
    delete row.transitionEndsAt;
    delete row.stateAfterTransition;
    return;
  }
  row.State = during;
  row.transitionEndsAt = ctx.now.getTime() + ctx.deps.transitionMs;
  row.stateAfterTransition = after;
}

/** The HSM's transition end, or undefined when transitions are instant. */
export function hsmTransitionEnd(ctx: CloudHsmContext): number | undefined {
  return ctx.deps.transitionMs <= 0 ? undefined : ctx.now.getTime() + ctx.deps.transitionMs;
}

/**
 * How long a DELETED cluster stays listed by DescribeClusters before its row is purged. AWS
 * lists deleted clusters for a while without documenting how long; kmsd keeps them 7 days,
 * as long as a deleted backup stays restorable.
 */
export const DELETED_CLUSTER_LISTED_MS = 7 * DAY_MS;

/** When a cluster's row is purged: DELETED_CLUSTER_LISTED_MS after it reached DELETED. */
export function purgeTime(row: ClusterRow): number | undefined {
  return row.State === 'DELETED' && row.deletedAt !== undefined ? row.deletedAt + DELETED_CLUSTER_LISTED_MS : undefined;
}

/** The next time the sweeper must look at this cluster, if any (the store's due time, for claimDue). */
export function nextDue(row: ClusterRow): number | null {
  const times = [row.transitionEndsAt, row.nextBackupAt, purgeTime(row), ...row.Hsms.map((h) => h.transitionEndsAt)].filter(
    (t): t is number => t !== undefined,
  );
  return times.length ? Math.min(...times) : null;
}

export async function saveCluster(ctx: Pick<CloudHsmContext, 'scope' | 'deps'>, row: ClusterRow): Promise<void> {
  await clusterTable(ctx.deps.store).put(ctx.scope, row.ClusterId, row, { due: nextDue(row) });
}

/** A cluster of the caller's account and Region as it is now; DELETED ones count as gone. */
export async function findCluster(ctx: CloudHsmContext, clusterId: string): Promise<ClusterRow> {
  const row = await clusterTable(ctx.deps.store).get(ctx.scope, clusterId);
  const settled = row && settleCluster(row, ctx.now.getTime());
  if (!settled || settled.State === 'DELETED') throw new CloudHsmResourceNotFoundException(`Cluster ${clusterId} not found.`);
  return settled;
}

export function requireState(row: ClusterRow, allowed: readonly ClusterState[], action: string): void {
  if (!allowed.includes(row.State)) {
    throw new CloudHsmInvalidRequestException(`Cannot ${action} while cluster ${row.ClusterId} is in state ${row.State}.`);
  }
}

export function hsmView(hsm: HsmRow): Hsm {
  return {
    AvailabilityZone: hsm.AvailabilityZone,
    ClusterId: hsm.ClusterId,
    SubnetId: hsm.SubnetId,
    EniId: hsm.EniId,
    EniIp: hsm.EniIp,
    ...(hsm.EniIpV6 !== undefined ? { EniIpV6: hsm.EniIpV6 } : {}),
    HsmId: hsm.HsmId,
    HsmType: hsm.HsmType,
    State: hsm.State,
    ...(hsm.StateMessage !== undefined ? { StateMessage: hsm.StateMessage } : {}),
  };
}

/** DescribeClusters' view: the CSR only while UNINITIALIZED (cloudhsm.md §6). */
export function clusterView(row: ClusterRow): Cluster {
  const { ClusterCsr, ...certificates } = row.Certificates;
  return {
    BackupPolicy: row.BackupPolicy,
    BackupRetentionPolicy: row.BackupRetentionPolicy,
    ClusterId: row.ClusterId,
    CreateTimestamp: new Date(row.CreateTimestamp),
    Hsms: row.Hsms.map(hsmView),
    HsmType: row.HsmType,
    ...(row.PreCoPassword !== undefined ? { PreCoPassword: row.PreCoPassword } : {}),
    SecurityGroup: row.SecurityGroup,
    ...(row.SourceBackupId !== undefined ? { SourceBackupId: row.SourceBackupId } : {}),
    State: row.State,
    ...(row.StateMessage !== undefined ? { StateMessage: row.StateMessage } : {}),
    SubnetMapping: row.SubnetMapping,
    VpcId: row.VpcId,
    NetworkType: row.NetworkType ?? 'IPV4',
    Certificates: row.State === 'UNINITIALIZED' && ClusterCsr !== undefined ? { ClusterCsr, ...certificates } : certificates,
    TagList: row.TagList,
    Mode: row.Mode ?? 'FIPS',
  };
}

/** Retention policy bounds (manage-backup-retention.md): 7 to 379 days, default 90. */
export function checkRetention(policy: { Type?: string; Value?: string } | undefined): { Type: 'DAYS'; Value: string } {
  if (!policy) return { Type: 'DAYS', Value: '90' };
  if (policy.Type !== 'DAYS' || policy.Value === undefined) {
    throw new CloudHsmInvalidRequestException('BackupRetentionPolicy needs Type DAYS and a Value.');
  }
  const days = Number(policy.Value);
  if (!Number.isInteger(days) || days < 7 || days > 379) {
    throw new CloudHsmInvalidRequestException('The backup retention period must be between 7 and 379 days.');
  }
  return { Type: 'DAYS', Value: String(days) };
}

export const retentionMs = (row: ClusterRow): number => Number(row.BackupRetentionPolicy.Value) * DAY_MS;
