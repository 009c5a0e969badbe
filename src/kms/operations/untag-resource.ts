import type { UntagResourceRequest } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { assertNotPendingDeletion, updateKey } from '../keys.js';

/** UntagResource: removes the named tags; naming a tag the key does not have is not an error. */
export const untagResource: KmsHandler<UntagResourceRequest, Record<string, never>> = async (input, ctx) => {
  const removed = new Set(input.TagKeys);
  await updateKey(ctx, input.KeyId, { allowAlias: false }, (key) => {
    assertNotPendingDeletion(key);
    key.tags = key.tags.filter((t) => !removed.has(t.TagKey));
  });
  return {};
};
