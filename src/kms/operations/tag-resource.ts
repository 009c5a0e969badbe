import type { TagResourceRequest } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { assertNotPendingDeletion, updateKey } from '../keys.js';
import { mergeTags, validateRequestTags } from '../tags.js';
import { resourceQuotas } from '../quotas.js';

/**
 * TagResource: adds tags, replacing the value of a key already present; `aws:` keys are
 * reserved, a request may not name a tag key twice, and a key holds at most the tags-per-key
 * quota (TagException). Key id or key ARN only.
 */
export const tagResource: KmsHandler<TagResourceRequest, Record<string, never>> = async (input, ctx) => {
  const added = validateRequestTags(input.Tags);
  await updateKey(ctx, input.KeyId, { allowAlias: false }, (key) => {
    assertNotPendingDeletion(key);
    key.tags = mergeTags(key.tags, added, resourceQuotas(ctx).tagsPerKey);
  });
  return {};
};
