/** Tag rules shared by CreateKey and TagResource (limits from AWS's resource quotas). */
import { TagException } from '../generated/kms.js';
import type { Tag } from './keys.js';

export const MAX_TAGS_PER_KEY = 50;

/** Rejects reserved `aws:` keys; with duplicates the last value wins, as AWS does. */
export function validateNewTags(tags: { TagKey: string; TagValue: string }[]): Tag[] {
  const byKey = new Map<string, string>();
  for (const t of tags) {
    if (t.TagKey.toLowerCase().startsWith('aws:')) throw new TagException('Tags beginning with aws: are reserved.');
    byKey.set(t.TagKey, t.TagValue);
  }
  if (byKey.size > MAX_TAGS_PER_KEY) throw new TagException(`Cannot exceed ${MAX_TAGS_PER_KEY} tags per resource.`);
  return [...byKey].map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
}
