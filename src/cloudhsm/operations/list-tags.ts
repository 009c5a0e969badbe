import type { ListTagsRequest, ListTagsResponse } from '../../generated/cloudhsmv2.js';
import type { CloudHsmHandler } from '../context.js';
import { findTaggedResource } from '../tags.js';
import { paginate } from '../pagination.js';

/** ListTags of a cluster or backup, 1–100 per page (default 100). */
export const listTags: CloudHsmHandler<ListTagsRequest, ListTagsResponse> = async (input, ctx) => {
  const resource = await findTaggedResource(ctx, input.ResourceId);
  const { page, next } = paginate(resource.row.TagList, 'tags', input.MaxResults, 100, input.NextToken);
  return { TagList: page, ...(next ? { NextToken: next } : {}) };
};
