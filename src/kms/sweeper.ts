/**
 * The KMS periodic task: deletes keys whose waiting period is over, rotates keys whose
 * automatic rotation date has come and ends multi-Region Creating/Updating states, on the
 * service clock. Each key is handled in its own
 * transaction from a fresh read, so a request racing the sweeper never loses its write.
 */
import type { KmsDeps } from './context.js';
import { deleteKeyFinally } from './deletion.js';
import { dueOf, keyTable, saveKey, settleTransition } from './keys.js';
import { shareWithRelated } from './multi-region.js';
import { rotateKey } from './rotation.js';

const BATCH = 100;
/** Bounds one sweep; whatever is left is picked up by the next tick. */
const MAX_BATCHES = 50;

export async function sweepKeys(deps: KmsDeps, now: Date): Promise<void> {
  const ctx = { deps };
  const time = now.getTime();
  const table = keyTable(deps.store);
  // One key that cannot be handled must not hold up the others: it is skipped for the rest
  // of this sweep, and its error is raised at the end so the task runner logs it.
  const failed = new Map<string, unknown>();
  for (let i = 0; i < MAX_BATCHES; i++) {
    const due = (await table.dueBefore(time, BATCH + failed.size)).filter(
      (d) => !failed.has(`${d.scope.account}/${d.scope.region}/${d.id}`),
    );
    if (due.length === 0) break;
    for (const { scope, id } of due) {
      try {
        await deps.store.transaction(async () => {
          const key = await table.get(scope, id);
          if (!key) return;
          settleTransition(key, time);
          const when = dueOf(key);
          if (when === null || when > time) {
            await saveKey(ctx, key); // a stale due time: store the right one
          } else if (key.state === 'PendingDeletion') {
            await deleteKeyFinally(ctx, key);
          } else {
            await rotateKey(ctx, key, 'AUTOMATIC', time);
            await saveKey(ctx, key);
            await shareWithRelated(ctx, key);
          }
        });
      } catch (err) {
        failed.set(`${scope.account}/${scope.region}/${id}`, err);
      }
    }
  }
  const [first] = failed.values();
  if (first !== undefined) throw first;
}
