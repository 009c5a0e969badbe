/**
 * compilePolicy memoized by (kind, text): policies are validated once and reused on every request, so
 * authorization stays cheap on the Encrypt path. A bounded LRU (Map insertion order) keeps memory flat
 * when many distinct policies pass through; a rejected policy is remembered with its error too.
 */
import { compileDocument, type CompiledPolicy } from './compile.js';
import { MalformedPolicyError } from './errors.js';
import type { PolicyKind } from './types.js';

export const POLICY_CACHE_CAPACITY = 4096;

type Entry = { policy: CompiledPolicy } | { error: MalformedPolicyError };

const cache = new Map<string, Entry>();

export function compilePolicy(text: string, kind: PolicyKind): CompiledPolicy {
  const cacheKey = `${kind}\u0000${text}`;
  let entry = cache.get(cacheKey);
  if (entry) {
    cache.delete(cacheKey);
  } else {
    try {
      entry = { policy: compileDocument(text, kind) };
    } catch (error) {
      if (!(error instanceof MalformedPolicyError)) throw error;
      entry = { error };
    }
    if (cache.size >= POLICY_CACHE_CAPACITY) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
  }
  cache.set(cacheKey, entry);
  if ('error' in entry) throw entry.error;
  return entry.policy;
}

/** For tests and diagnostics. */
export function policyCacheSize(): number {
  return cache.size;
}
