import type { RotateKeyOnDemandRequest, RotateKeyOnDemandResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { assertUsableForCrypto, updateKey } from '../keys.js';
import { assertRotatable, assertRotationManagedHere, ON_DEMAND_ROTATIONS_PER_KEY, rotateKey } from '../rotation.js';
import { rotateToImportedMaterial } from '../imported-material.js';
import { LimitExceededException } from '../../generated/kms.js';
import type { KeyRow } from '../keys.js';

/** AWS allows 10 on-demand rotations per key, imported material included (not adjustable). */
function assertOnDemandQuota(k: KeyRow): void {
  if (k.rotations.filter((r) => r.RotationType === 'ON_DEMAND').length >= ON_DEMAND_ROTATIONS_PER_KEY) {
    throw new LimitExceededException(
      `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${k.arn}`,
    );
  }
}

/**
 * RotateKeyOnDemand: a new material version now, whether or not automatic rotation is on;
 * the automatic schedule is not moved (as in AWS). It completes within the request. A key
 * with imported material rotates to the material imported with NEW_KEY_MATERIAL.
 *
 * Order of checks as recorded from AWS: the key state first (a disabled RSA key answers
 * DisabledException, a key pending import KMSInvalidStateException), then origin and key
 * spec (an asymmetric key answers UnsupportedOperationException with no message), then the
 * quota of on-demand rotations.
 */
export const rotateKeyOnDemand: KmsHandler<RotateKeyOnDemandRequest, RotateKeyOnDemandResponse> = async (input, ctx) => {
  const key = await updateKey(ctx, input.KeyId, { allowAlias: false }, async (k) => {
    await assertUsableForCrypto(ctx, k);
    if (k.origin === 'EXTERNAL' && !k.customKeyStoreId) {
      assertOnDemandQuota(k);
      rotateToImportedMaterial(k, ctx.now.getTime());
      return k;
    }
    assertRotatable(k, { silentKeySpec: true });
    assertRotationManagedHere(k);
    assertOnDemandQuota(k);
    await rotateKey(ctx, k, 'ON_DEMAND', ctx.now.getTime());
    return k;
  });
  return { KeyId: key.arn };
};
