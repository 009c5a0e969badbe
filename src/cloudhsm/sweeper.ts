/**
 * The CloudHSM periodic work on the service clock: ended transitions are stored, due daily
 * backups are taken (then the cluster's retention policy applied), backups past their 7
 * pending-deletion days and DELETED clusters past DELETED_CLUSTER_LISTED_MS are purged.
 *
 * Work is found through the store's due index (`claimDue`), never by reading every row, so an
 * idle kmsd does no work per tick however many clusters and backups it holds (issue 10), and
 * with several nodes each due row is handled by one of them. A failure in one row does not
 * stop the others: it keeps its claim and is retried when the lease ends.
 */
import { DAY_MS } from '../core/clock.js';
import { DEFAULT_LEASE_MS } from '../store/store.js';
import type { Scope } from '../store/store.js';
import { backupTable, clusterTable } from './rows.js';
import type { CloudHsmDeps } from './context.js';
import { PENDING_DELETION_MS, applyRetention, sharedId, sharedIndex, sharedScope, takeBackup } from './backups.js';
import type { Ctx } from './backups.js';
import { BACKED_UP_STATES, nextDue, purgeTime, saveCluster, settleCluster } from './clusters.js';

const RETRY_BACKUP_MS = 60 * 60 * 1000;
const BATCH = 100;
/** Bounds one sweep; whatever is left is picked up by the next tick. */
const MAX_BATCHES = 50;

type LogError = (err: unknown) => void;

/**
 * One sweeper per kmsd process. Its first run also visits every cluster that has pending
 * work, once: rows written before the HSM side stored due times (before 2026-11-28) have
 * none, and saving them gives them one. Clusters are few (4 per account and Region).
 */
export function cloudHsmSweep(deps: CloudHsmDeps, logError: LogError): (now: Date) => Promise<void> {
  let firstRun = true;
  return async (now: Date) => {
    const t = now.getTime();
    if (firstRun) {
      const pending = (await clusterTable(deps.store).all()).filter(({ row }) => nextDue(row) !== null);
      for (const { scope, id } of pending) await handleCluster(deps, scope, id, now, logError);
      firstRun = false;
    }
    for (let i = 0; i < MAX_BATCHES; i++) {
      const due = await clusterTable(deps.store).claimDue(t, BATCH, DEFAULT_LEASE_MS);
      for (const { scope, id } of due) await handleCluster(deps, scope, id, now, logError);
      if (due.length < BATCH) break;
    }
    for (let i = 0; i < MAX_BATCHES; i++) {
      const due = await backupTable(deps.store).claimDue(t, BATCH, DEFAULT_LEASE_MS);
      for (const { scope, id } of due) await purgeBackup(deps, scope, id, t, logError);
      if (due.length < BATCH) break;
    }
  };
}

/** Settles one cluster from a fresh read: stores ended transitions, takes a due backup, or purges it. */
async function handleCluster(deps: CloudHsmDeps, scope: Scope, id: string, now: Date, logError: LogError): Promise<void> {
  const t = now.getTime();
  // Logged after the transaction, which may run twice (store.ts).
  let backupError: unknown;
  try {
    await deps.store.transaction(async () => {
      backupError = undefined;
      const current = await clusterTable(deps.store).get(scope, id);
      if (!current) return;
      const cluster = settleCluster(current, t);
      const purgeAt = purgeTime(cluster);
      if (purgeAt !== undefined && purgeAt <= t) {
        await clusterTable(deps.store).delete(scope, id);
        return;
      }
      const ctx: Ctx = { scope, deps, now };
      if (cluster.nextBackupAt !== undefined && cluster.nextBackupAt <= t) {
        cluster.nextBackupAt = t + DAY_MS;
        if (BACKED_UP_STATES.includes(cluster.State) && cluster.Hsms.some((h) => h.State === 'ACTIVE')) {
          try {
            await takeBackup(ctx, cluster);
            await applyRetention(ctx, cluster);
          } catch (err) {
            // Try again in an hour rather than on every tick.
            backupError = err;
            cluster.nextBackupAt = t + RETRY_BACKUP_MS;
          }
        }
      }
      if (cluster.State === 'DELETED') delete cluster.nextBackupAt;
      // Always written: a new due time ends the claim (store.ts), even when nothing else changed.
      await saveCluster(ctx, cluster);
    });
    if (backupError !== undefined) logError(backupError);
  } catch (err) {
    logError(err);
  }
}

async function purgeBackup(deps: CloudHsmDeps, scope: Scope, id: string, t: number, logError: LogError): Promise<void> {
  const backups = backupTable(deps.store);
  try {
    await deps.store.transaction(async () => {
      const row = await backups.get(scope, id);
      if (row?.BackupState === 'PENDING_DELETION' && (row.DeleteTimestamp ?? 0) + PENDING_DELETION_MS <= t) {
        await backups.delete(scope, id);
        await sharedIndex(deps).delete(sharedScope(scope), sharedId(scope, id));
      }
    });
  } catch (err) {
    logError(err);
  }
}
