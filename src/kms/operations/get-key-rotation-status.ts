import type { GetKeyRotationStatusRequest, GetKeyRotationStatusResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { findKey } from '../keys.js';
import { assertRotatable } from '../rotation.js';

/**
 * GetKeyRotationStatus: works in every key state; the period and next date only while
 * automatic rotation is enabled. kmsd's on-demand rotations complete within the request,
 * so OnDemandRotationStartDate (set only while one is in progress) never appears.
 */
export const getKeyRotationStatus: KmsHandler<GetKeyRotationStatusRequest, GetKeyRotationStatusResponse> = async (input, ctx) => {
  const key = await findKey(ctx, input.KeyId, { allowAlias: false });
  assertRotatable(key);
  const { rotation } = key;
  if (!rotation.enabled) return { KeyRotationEnabled: false, KeyId: key.arn };
  return {
    KeyRotationEnabled: true,
    KeyId: key.arn,
    RotationPeriodInDays: rotation.periodInDays,
    NextRotationDate: rotation.nextRotationDate === undefined ? undefined : new Date(rotation.nextRotationDate),
  };
};
