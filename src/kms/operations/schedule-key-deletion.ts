import type { ScheduleKeyDeletionRequest, ScheduleKeyDeletionResponse } from '../../generated/kms.js';
import { DAY_MS } from '../../core/clock.js';
import { validationError } from '../../core/validation-error.js';
import type { KmsHandler } from '../context.js';
import { assertNotInTransition, assertNotPendingDeletion, updateKey } from '../keys.js';
import { hasReplicas } from '../multi-region.js';

const MIN_WINDOW_DAYS = 7;
const MAX_WINDOW_DAYS = 30;
const DEFAULT_WINDOW_DAYS = 30;

/**
 * ScheduleKeyDeletion: the key becomes PendingDeletion for 7–30 days (default 30; the model
 * allows 1–365, the documented rule is 7–30), then the sweeper deletes it for good.
 */
export const scheduleKeyDeletion: KmsHandler<ScheduleKeyDeletionRequest, ScheduleKeyDeletionResponse> = async (input, ctx) => {
  const days = input.PendingWindowInDays ?? DEFAULT_WINDOW_DAYS;
  if (days < MIN_WINDOW_DAYS) {
    throw validationError('pendingWindowInDays', String(days), `Member must have value greater than or equal to ${MIN_WINDOW_DAYS}`);
  }
  if (days > MAX_WINDOW_DAYS) {
    throw validationError('pendingWindowInDays', String(days), `Member must have value less than or equal to ${MAX_WINDOW_DAYS}`);
  }
  const deletionDate = ctx.now.getTime() + days * DAY_MS;
  const key = await updateKey(ctx, input.KeyId, { allowAlias: false }, (k) => {
    assertNotPendingDeletion(k);
    assertNotInTransition(k, ['Updating']);
    // A replica still Creating may be scheduled (key-state table); it stops becoming Enabled.
    delete k.transition;
    k.pendingWindowInDays = days;
    if (hasReplicas(k)) {
      // AWS: a multi-Region primary waits for its replicas; its own window starts when the
      // last one is deleted (multi-region.ts leaveFamily), so there is no DeletionDate yet.
      k.state = 'PendingReplicaDeletion';
      delete k.deletionDate;
    } else {
      k.state = 'PendingDeletion';
      k.deletionDate = deletionDate;
    }
    return k;
  });
  if (key.state === 'PendingReplicaDeletion') {
    return { KeyId: key.arn, KeyState: 'PendingReplicaDeletion', PendingWindowInDays: days };
  }
  return { KeyId: key.arn, DeletionDate: new Date(deletionDate), KeyState: 'PendingDeletion', PendingWindowInDays: days };
};
