import type { DisableKeyRequest } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { assertNotInTransition, assertNotPendingDeletion, updateKey } from '../keys.js';

/** DisableKey: the key refuses cryptographic operations (DisabledException) until EnableKey. */
export const disableKey: KmsHandler<DisableKeyRequest, Record<string, never>> = async (input, ctx) => {
  await updateKey(ctx, input.KeyId, { allowAlias: false }, (key) => {
    assertNotPendingDeletion(key);
    assertNotInTransition(key);
    key.state = 'Disabled';
  });
  return {};
};
