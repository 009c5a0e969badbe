import type { RotateKeyOnDemandRequest, RotateKeyOnDemandResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { assertUsableForCrypto, updateKey } from '../keys.js';
import { assertRotatable, assertRotationManagedHere, ON_DEMAND_ROTATIONS_PER_KEY, rotateKey } from '../rotation.js';
import { LimitExceededException } from '../../generated/kms.js';

/**
 * RotateKeyOnDemand: a new material version now, whether or not automatic rotation is on;
 * the automatic schedule is not moved (as in AWS). It completes within the request.
 *
 * Order of checks as recorded from AWS: the key state first (a disabled RSA key answers
 * DisabledException, a key pending import KMSInvalidStateException), then origin and key
 * spec (an asymmetric key answers UnsupportedOperationException with no message), then the
 * quota of 10 on-demand rotations per key (LimitExceededException; not adjustable in AWS).
 */
export const rotateKeyOnDemand: KmsHandler<RotateKeyOnDemandRequest, RotateKeyOnDemandResponse> = async (input, ctx) => {
  const key = await updateKey(ctx, input.KeyId, { allowAlias: false }, async (k) => {
    await assertUsableForCrypto(ctx, k);
    assertRotatable(k, { silentKeySpec: true });
    assertRotationManagedHere(k);
    if (k.rotations.filter((r) => r.RotationType === 'ON_DEMAND').length >= ON_DEMAND_ROTATIONS_PER_KEY) {
      throw new LimitExceededException(
        `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${k.arn}`,
      );
    }
    await rotateKey(ctx, k, 'ON_DEMAND', ctx.now.getTime());
    return k;
  });
  return { KeyId: key.arn };
};
