import type { EnableKeyRotationRequest } from '../../generated/kms.js';
import { DAY_MS } from '../../core/clock.js';
import type { KmsHandler } from '../context.js';
import { assertUsableForCrypto, updateKey } from '../keys.js';
import { assertRotatable, assertRotationManagedHere, DEFAULT_ROTATION_PERIOD_DAYS } from '../rotation.js';

/**
 * EnableKeyRotation: automatic rotation every RotationPeriodInDays (90–2560, checked by the
 * model; default 365). Enabling starts the period now; changing the period of an enabled key
 * keeps its last rotation (or enablement) as the starting point, and a rotation that is then
 * overdue happens on the next sweep.
 */
export const enableKeyRotation: KmsHandler<EnableKeyRotationRequest, Record<string, never>> = async (input, ctx) => {
  const period = input.RotationPeriodInDays ?? DEFAULT_ROTATION_PERIOD_DAYS;
  await updateKey(ctx, input.KeyId, { allowAlias: false }, async (key) => {
    assertRotatable(key);
    assertRotationManagedHere(key);
    await assertUsableForCrypto(ctx, key);
    const now = ctx.now.getTime();
    const { rotation } = key;
    const since =
      rotation.enabled && rotation.nextRotationDate !== undefined
        ? rotation.nextRotationDate - (rotation.periodInDays ?? DEFAULT_ROTATION_PERIOD_DAYS) * DAY_MS
        : now;
    key.rotation = { enabled: true, periodInDays: period, nextRotationDate: Math.max(since + period * DAY_MS, now) };
  });
  return {};
};
