/**
 * The KMS periodic task: deletes keys whose waiting period is over and rotates keys whose
 * automatic rotation date has come, on the service clock. Each key is handled in its own
 * transaction from a fresh read, so a request racing the sweeper never loses its write.
 */
import type { KmsDeps } from './context.js';
import { deleteKeyFinally } from './deletion.js';
import { dueOf, keyTable, saveKey } from './keys.js';
import { rotateKey } from './rotation.js';

const BATCH = 100;
/** Bounds one sweep; whatever is left is picked up by the next tick. */
const MAX_BATCHES = 50;

export async function sweepKeys(deps: KmsDeps, now: Date): Promise<void> {
  const ctx = { deps };
  const time = now.getTime();
  const table = keyTable(deps.store);
  for (let i = 0; i < MAX_BATCHES; i++) {
    const due = await table.dueBefore(time, BATCH);
    if (due.length === 0) return;
    for (const { scope, id } of due) {
      await deps.store.transaction(async () => {
        const key = await table.get(scope, id);
        if (!key) return;
        const when = dueOf(key);
        if (when === null || when > time) {
          await saveKey(ctx, key); // a stale due time: store the right one
        } else if (key.state === 'PendingDeletion') {
          await deleteKeyFinally(ctx, key);
        } else {
          await rotateKey(ctx, key, 'AUTOMATIC', time);
          await saveKey(ctx, key);
        }
      });
    }
  }
}
