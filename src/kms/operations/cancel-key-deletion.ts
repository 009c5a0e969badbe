import type { CancelKeyDeletionRequest, CancelKeyDeletionResponse } from '../../generated/kms.js';
import { KMSInvalidStateException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { updateKey } from '../keys.js';

/**
 * CancelKeyDeletion: only from PendingDeletion (or PendingReplicaDeletion, a multi-Region
 * primary waiting for its replicas), and the key comes back Disabled, as in AWS.
 */
export const cancelKeyDeletion: KmsHandler<CancelKeyDeletionRequest, CancelKeyDeletionResponse> = async (input, ctx) => {
  const key = await updateKey(ctx, input.KeyId, { allowAlias: false }, (k) => {
    if (k.state !== 'PendingDeletion' && k.state !== 'PendingReplicaDeletion')
      throw new KMSInvalidStateException(`${k.arn} is not pending deletion.`);
    k.state = 'Disabled';
    delete k.deletionDate;
    delete k.pendingWindowInDays;
    return k;
  });
  return { KeyId: key.arn };
};
