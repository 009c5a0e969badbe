/**
 * Tag rules shared by CreateKey and TagResource. Texts are AWS's, recorded from the real
 * service: `Tags beginning with aws: are reserved` (any case), `Duplicate tag keys`,
 * `Too many tags` (the tags-per-key quota, 50 by default).
 */
import { TagException } from '../generated/kms.js';
import type { Tag } from './keys.js';

/** The tags of one request: no reserved keys, no key twice. */
export function validateRequestTags(tags: { TagKey: string; TagValue: string }[]): Tag[] {
  const seen = new Set<string>();
  for (const t of tags) {
    if (t.TagKey.toLowerCase().startsWith('aws:')) throw new TagException('Tags beginning with aws: are reserved');
    if (seen.has(t.TagKey)) throw new TagException('Duplicate tag keys');
    seen.add(t.TagKey);
  }
  return tags.map((t) => ({ TagKey: t.TagKey, TagValue: t.TagValue }));
}

/** A key's tags with `added` merged in (a key already present takes the new value). */
export function mergeTags(existing: Tag[], added: Tag[], tagsPerKey: number): Tag[] {
  const byKey = new Map(existing.map((t) => [t.TagKey, t.TagValue]));
  for (const t of added) byKey.set(t.TagKey, t.TagValue);
  if (byKey.size > tagsPerKey) throw new TagException('Too many tags');
  return [...byKey].map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
}
