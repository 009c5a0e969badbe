import type { RotateKeyOnDemandRequest, RotateKeyOnDemandResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { assertUsableForCrypto, updateKey } from '../keys.js';
import { assertRotatable, assertRotationManagedHere, rotateKey } from '../rotation.js';

/**
 * RotateKeyOnDemand: a new material version now, whether or not automatic rotation is on;
 * the automatic schedule is not moved (as in AWS). It completes within the request.
 */
export const rotateKeyOnDemand: KmsHandler<RotateKeyOnDemandRequest, RotateKeyOnDemandResponse> = async (input, ctx) => {
  const key = await updateKey(ctx, input.KeyId, { allowAlias: false }, async (k) => {
    assertRotatable(k);
    assertRotationManagedHere(k);
    await assertUsableForCrypto(ctx, k);
    await rotateKey(ctx, k, 'ON_DEMAND', ctx.now.getTime());
    return k;
  });
  return { KeyId: key.arn };
};
