import type { ListKeysRequest, ListKeysResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { keyTable } from '../keys.js';
import { pageOf } from '../pagination.js';

export const listKeys: KmsHandler<ListKeysRequest, ListKeysResponse> = async (input, ctx) => {
  const page = await pageOf(keyTable(ctx.deps.store), ctx.scope, input.Limit, input.Marker);
  return {
    Keys: page.items.map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })),
    NextMarker: page.next,
    Truncated: page.next !== undefined,
  };
};
