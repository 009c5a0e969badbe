/**
 * Backups (shared/spec/cloudhsm.md §5): taken when an HSM is added to or removed from an
 * initialized cluster and daily; they hold the HSM contents' snapshot and the cluster's
 * certificates, which a cluster created from them inherits ("backup history").
 * Deleted or expired backups wait 7 days in PENDING_DELETION, then are purged.
 */
import type { Backup, BackupState } from '../generated/cloudhsmv2.js';
import { CloudHsmInvalidRequestException, CloudHsmResourceNotFoundException } from '../generated/cloudhsmv2.js';
import { DAY_MS } from '../core/clock.js';
import type { Scope } from '../store/store.js';
import { backupTable } from './rows.js';
import type { BackupRow, ClusterRow } from './rows.js';
import type { CloudHsmContext, CloudHsmDeps } from './context.js';
import { backupArn, newResourceId } from './ids.js';
import { retentionMs } from './clusters.js';

/** How long a deleted backup can still be restored (delete-restore-backup.md). */
export const PENDING_DELETION_MS = 7 * DAY_MS;

export type Ctx = Pick<CloudHsmContext, 'scope' | 'deps' | 'now'>;

export async function saveBackup(deps: CloudHsmDeps, scope: Scope, row: BackupRow): Promise<void> {
  const due =
    row.BackupState === 'PENDING_DELETION' && row.DeleteTimestamp !== undefined ? row.DeleteTimestamp + PENDING_DELETION_MS : null;
  await backupTable(deps.store).put(scope, row.BackupId, row, { due });
  if (row.resourcePolicy !== undefined)
    await sharedIndex(deps).put(sharedScope(scope), sharedId(scope, row.BackupId), { scope, backupId: row.BackupId });
  else await sharedIndex(deps).delete(sharedScope(scope), sharedId(scope, row.BackupId));
}

/**
 * The backups that carry a resource policy, per Region across accounts: DescribeBackups with
 * Shared=true reads these instead of every account's backups (issue 14). Kept by saveBackup,
 * the only writer of backup rows, and by the purge below.
 */
interface SharedBackupRef {
  scope: Scope;
  backupId: string;
}
export const sharedIndex = (deps: CloudHsmDeps) => deps.store.table<SharedBackupRef>('cloudhsm_shared_backups');
export const sharedScope = (owner: Scope): Scope => ({ account: '*', region: owner.region });
export const sharedId = (owner: Scope, backupId: string): string => `${owner.account}/${backupId}`;

/** Backups of other accounts in the caller's Region that have a resource policy, page by page. */
export async function* backupsWithPolicies(deps: CloudHsmDeps, caller: Scope): AsyncGenerator<{ scope: Scope; row: BackupRow }> {
  let marker: string | undefined;
  do {
    const page = await sharedIndex(deps).list(sharedScope(caller), { limit: 100, marker });
    for (const ref of page.items) {
      if (ref.scope.account === caller.account) continue;
      const row = await backupTable(deps.store).get(ref.scope, ref.backupId);
      if (row) yield { scope: ref.scope, row };
    }
    marker = page.next;
  } while (marker);
}

/** Snapshots the cluster's contents now; the caller stores the cluster's new nextBackupAt. */
export async function takeBackup(ctx: Ctx, cluster: ClusterRow): Promise<BackupRow> {
  const contents = await ctx.deps.contents.snapshot(ctx.scope, cluster.ClusterId);
  const { ClusterCsr: _csr, ...certificates } = cluster.Certificates;
  void _csr;
  const id = newResourceId('backup');
  const row: BackupRow = {
    BackupId: id,
    BackupArn: backupArn(ctx.scope, id),
    BackupState: 'READY',
    ClusterId: cluster.ClusterId,
    CreateTimestamp: ctx.now.getTime(),
    NeverExpires: false,
    HsmType: cluster.HsmType,
    ...(cluster.Mode !== undefined ? { Mode: cluster.Mode } : {}),
    TagList: [],
    ...(certificates.ClusterCertificate !== undefined ? { clusterCertificate: certificates.ClusterCertificate } : {}),
    certificates,
    contents,
  };
  await saveBackup(ctx.deps, ctx.scope, row);
  cluster.nextBackupAt = ctx.now.getTime() + DAY_MS;
  return row;
}

/** Accepts a backup id or its ARN (CreateCluster's SourceBackupId allows either). */
export function parseBackupRef(ref: string, scope: Scope): { scope: Scope; id: string } {
  const m = /^arn:aws(?:-us-gov)?:cloudhsm:([^:]+):(\d{12}):backup\/(backup-[2-7a-zA-Z]+)$/.exec(ref);
  if (m) return { scope: { account: m[2], region: m[1] }, id: m[3] };
  return { scope, id: ref };
}

export async function findBackup(ctx: Ctx, backupId: string): Promise<BackupRow> {
  const row = await backupTable(ctx.deps.store).get(ctx.scope, backupId);
  if (!row) throw new CloudHsmResourceNotFoundException(`Backup ${backupId} not found.`);
  return row;
}

export function requireBackupState(row: BackupRow, state: BackupState, action: string): void {
  if (row.BackupState !== state) {
    throw new CloudHsmInvalidRequestException(`Cannot ${action} backup ${row.BackupId} in state ${row.BackupState}.`);
  }
}

export function backupView(row: BackupRow): Backup {
  return {
    BackupId: row.BackupId,
    BackupArn: row.BackupArn,
    BackupState: row.BackupState,
    ClusterId: row.ClusterId,
    CreateTimestamp: new Date(row.CreateTimestamp),
    ...(row.CopyTimestamp !== undefined ? { CopyTimestamp: new Date(row.CopyTimestamp) } : {}),
    NeverExpires: row.NeverExpires,
    ...(row.SourceRegion !== undefined ? { SourceRegion: row.SourceRegion } : {}),
    ...(row.SourceBackup !== undefined ? { SourceBackup: row.SourceBackup } : {}),
    ...(row.SourceCluster !== undefined ? { SourceCluster: row.SourceCluster } : {}),
    ...(row.DeleteTimestamp !== undefined ? { DeleteTimestamp: new Date(row.DeleteTimestamp) } : {}),
    TagList: row.TagList,
    HsmType: row.HsmType,
    ...(row.Mode !== undefined ? { Mode: row.Mode } : {}),
  };
}

export async function backupsInScope(deps: CloudHsmDeps, scope: Scope): Promise<BackupRow[]> {
  return (await backupTable(deps.store).list(scope, { limit: 1_000_000 })).items;
}

/**
 * The retention policy (manage-backup-retention.md): READY backups older than the cluster's
 * retention period go to PENDING_DELETION, except NeverExpires ones and the cluster's most
 * recent backup, which is never purged.
 */
export async function applyRetention(ctx: Ctx, cluster: ClusterRow): Promise<void> {
  const own = (await backupsInScope(ctx.deps, ctx.scope)).filter((b) => b.ClusterId === cluster.ClusterId && b.SourceRegion === undefined);
  if (own.length === 0) return;
  const latest = own.reduce((a, b) => (b.CreateTimestamp >= a.CreateTimestamp ? b : a));
  const cutoff = ctx.now.getTime() - retentionMs(cluster);
  for (const b of own) {
    if (b === latest || b.NeverExpires || b.BackupState !== 'READY' || b.CreateTimestamp > cutoff) continue;
    await saveBackup(ctx.deps, ctx.scope, { ...b, BackupState: 'PENDING_DELETION', DeleteTimestamp: ctx.now.getTime() });
  }
}
