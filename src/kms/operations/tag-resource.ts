import type { TagResourceRequest } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { assertNotPendingDeletion, updateKey } from '../keys.js';
import { validateNewTags } from '../tags.js';

/**
 * TagResource: adds tags, replacing the value of a key already present; `aws:` keys are
 * reserved and a key holds at most 50 tags (TagException). Key id or key ARN only.
 */
export const tagResource: KmsHandler<TagResourceRequest, Record<string, never>> = async (input, ctx) => {
  const added = validateNewTags(input.Tags);
  await updateKey(ctx, input.KeyId, { allowAlias: false }, (key) => {
    assertNotPendingDeletion(key);
    key.tags = validateNewTags([...key.tags, ...added]);
  });
  return {};
};
