import type { DescribeKeyRequest, DescribeKeyResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { findKey, keyMetadata } from '../keys.js';

/** DescribeKey works in every key state, and accepts aliases. */
export const describeKey: KmsHandler<DescribeKeyRequest, DescribeKeyResponse> = async (input, ctx) => {
  const key = await findKey(ctx, input.KeyId, { allowAlias: true });
  return { KeyMetadata: await keyMetadata(ctx, key) };
};
