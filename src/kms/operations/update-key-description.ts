import type { UpdateKeyDescriptionRequest } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { assertNotPendingDeletion, updateKey } from '../keys.js';

/** UpdateKeyDescription: any state but PendingDeletion; key id or key ARN only, as in AWS. */
export const updateKeyDescription: KmsHandler<UpdateKeyDescriptionRequest, Record<string, never>> = async (input, ctx) => {
  await updateKey(ctx, input.KeyId, { allowAlias: false }, (key) => {
    assertNotPendingDeletion(key);
    key.description = input.Description;
  });
  return {};
};
