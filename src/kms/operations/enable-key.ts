import type { EnableKeyRequest } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { assertNotInTransition, assertNotPendingDeletion, updateKey } from '../keys.js';

/**
 * EnableKey: a Disabled key becomes Enabled (enabling an Enabled key is a no-op); a key
 * pending deletion must first be cancelled (KMSInvalidStateException).
 */
export const enableKey: KmsHandler<EnableKeyRequest, Record<string, never>> = async (input, ctx) => {
  await updateKey(ctx, input.KeyId, { allowAlias: false }, (key) => {
    assertNotPendingDeletion(key);
    assertNotInTransition(key);
    key.state = 'Enabled';
  });
  return {};
};
