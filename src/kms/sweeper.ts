/**
 * The KMS periodic task: deletes keys whose waiting period is over, rotates keys whose
 * automatic rotation date has come, ends multi-Region Creating/Updating states and deletes
 * imported material past its ValidTo, on the service clock. Each key is handled in its own
 * transaction from a fresh read, so a request racing the sweeper never loses its write.
 * Expired import wrapping keys are purged too.
 */
import type { KmsDeps } from './context.js';
import { deleteKeyRows, destroyBackingMaterial } from './deletion.js';
import { dueOf, isPastDeletion, keyTable, saveKey, settleTransition } from './keys.js';
import type { KeyRow } from './keys.js';
import { shareWithRelated } from './multi-region.js';
import { rotateKey } from './rotation.js';
import { expireImportedMaterial } from './imported-material.js';
import { DEFAULT_LEASE_MS } from '../store/store.js';

const BATCH = 100;
/** Bounds one sweep; whatever is left is picked up by the next tick. */
const MAX_BATCHES = 50;

export async function sweepKeys(deps: KmsDeps, now: Date): Promise<void> {
  const ctx = { deps };
  const time = now.getTime();
  const table = keyTable(deps.store);
  // One key that cannot be handled must not hold up the others: it keeps its claim (so no
  // node retries it before the lease ends), and its error is raised at the end so the task
  // runner logs it.
  const failed: unknown[] = [];
  await deps.imports.purgeExpired(time);
  for (let i = 0; i < MAX_BATCHES; i++) {
    // Claimed, so that with several nodes each due key is handled by one of them.
    const due = await table.claimDue(time, BATCH, DEFAULT_LEASE_MS);
    if (due.length === 0) break;
    for (const { scope, id } of due) {
      try {
        const deleted = await deps.store.transaction(async (): Promise<KeyRow | undefined> => {
          const key = await table.get(scope, id);
          if (!key) return undefined;
          settleTransition(key, time);
          const when = dueOf(key);
          if (when === null || when > time) {
            await saveKey(ctx, key); // a stale due time: store the right one
          } else if (isPastDeletion(key, time)) {
            await deleteKeyRows(ctx, key);
            return key;
          } else if (await expireImportedMaterial(ctx, key, time)) {
            await saveKey(ctx, key); // imported material past its ValidTo is deleted
          } else {
            await rotateKey(ctx, key, 'AUTOMATIC', time);
            await saveKey(ctx, key);
            await shareWithRelated(ctx, key);
          }
          return undefined;
        });
        // Once committed (a transaction may run again): the HSM's copy of the material, and
        // the log line. AWS records the end of a waiting period as a DeleteKey event in
        // CloudTrail; operators see it here.
        if (deleted) {
          await destroyBackingMaterial(ctx, deleted);
          deps.log?.({ level: 'info', msg: 'key deleted at the end of its waiting period', keyArn: deleted.arn });
        }
      } catch (err) {
        failed.push(err);
      }
    }
  }
  if (failed.length > 0) throw failed[0];
}
