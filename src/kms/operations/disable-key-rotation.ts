import type { DisableKeyRotationRequest } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { assertUsableForCrypto, updateKey } from '../keys.js';
import { assertRotatable, assertRotationManagedHere } from '../rotation.js';

/** DisableKeyRotation: stops automatic rotation; earlier material versions are kept. */
export const disableKeyRotation: KmsHandler<DisableKeyRotationRequest, Record<string, never>> = async (input, ctx) => {
  await updateKey(ctx, input.KeyId, { allowAlias: false }, async (key) => {
    assertRotatable(key);
    assertRotationManagedHere(key);
    await assertUsableForCrypto(ctx, key);
    key.rotation = { enabled: false };
  });
  return {};
};
