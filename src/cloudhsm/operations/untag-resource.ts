import type { UntagResourceRequest, UntagResourceResponse } from '../../generated/cloudhsmv2.js';
import type { CloudHsmHandler } from '../context.js';
import { findTaggedResource, saveTags } from '../tags.js';

/** UntagResource: keys that are not present are ignored, as AWS does. */
export const untagResource: CloudHsmHandler<UntagResourceRequest, UntagResourceResponse> = async (input, ctx) =>
  ctx.deps.store.transaction(async () => {
    const resource = await findTaggedResource(ctx, input.ResourceId);
    const remove = new Set(input.TagKeyList);
    await saveTags(
      ctx,
      resource,
      resource.row.TagList.filter((t) => !remove.has(t.Key)),
    );
    return {};
  });
