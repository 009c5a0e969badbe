import type { GetKeyLastUsageRequest, GetKeyLastUsageResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { findKey } from '../keys.js';

/**
 * GetKeyLastUsage: the last successful cryptographic operation with the key (works in every
 * key state, like DescribeKey). kmsd has no CloudTrail, so CloudTrailEventId is never set;
 * KmsRequestId is the x-amzn-RequestId of that request.
 */
export const getKeyLastUsage: KmsHandler<GetKeyLastUsageRequest, GetKeyLastUsageResponse> = async (input, ctx) => {
  const key = await findKey(ctx, input.KeyId, { allowAlias: false });
  const usage = await ctx.deps.keyUsage.lastUsage(ctx.scope, key.keyId);
  return {
    KeyId: key.keyId,
    ...(usage ? { KeyLastUsage: { Operation: usage.operation, Timestamp: new Date(usage.timestamp), KmsRequestId: usage.requestId } } : {}),
    TrackingStartDate: new Date(ctx.deps.keyUsage.trackingStartFor(key.creationDate)),
    KeyCreationDate: new Date(key.creationDate),
  };
};
