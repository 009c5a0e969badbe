import type { TagResourceRequest, TagResourceResponse } from '../../generated/cloudhsmv2.js';
import type { CloudHsmHandler } from '../context.js';
import { findTaggedResource, mergeTags, saveTags } from '../tags.js';

/** TagResource on a cluster or backup; an existing key gets the new value. */
export const tagResource: CloudHsmHandler<TagResourceRequest, TagResourceResponse> = async (input, ctx) =>
  ctx.deps.store.transaction(async () => {
    const resource = await findTaggedResource(ctx, input.ResourceId);
    await saveTags(ctx, resource, mergeTags(resource.row.TagList, input.TagList));
    return {};
  });
