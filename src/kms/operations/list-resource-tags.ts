import type { ListResourceTagsRequest, ListResourceTagsResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { findKey } from '../keys.js';
import { pageArray, pageFields } from '../pagination.js';

/** ListResourceTags: works in every key state; Limit 1–50 (model), default 50. */
export const listResourceTags: KmsHandler<ListResourceTagsRequest, ListResourceTagsResponse> = async (input, ctx) => {
  const key = await findKey(ctx, input.KeyId, { allowAlias: false });
  const page = pageArray(key.tags, input.Limit, input.Marker, 50);
  return { Tags: page.items.map((t) => ({ TagKey: t.TagKey, TagValue: t.TagValue })), ...pageFields(page.next) };
};
