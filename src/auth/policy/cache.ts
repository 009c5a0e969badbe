/**
 * compilePolicy memoized by (text, kind): policies are validated once and reused on every request, so
 * authorization stays cheap on the Encrypt path. A bounded LRU (Map insertion order) keeps memory flat
 * when many distinct policies pass through; a rejected policy is remembered with its error too.
 *
 * The map is keyed by the text itself, not by a string built from kind and text: such a key would be
 * a new string on every request, to be copied and hashed in full (a key policy is hundreds of
 * characters). A policy text that comes from the same place every time (a cached key row, the
 * configuration) keeps its hash in V8, so a lookup is cheap.
 */
import { compileDocument, type CompiledPolicy } from './compile.js';
import { MalformedPolicyError } from './errors.js';
import type { PolicyKind } from './types.js';

export const POLICY_CACHE_CAPACITY = 4096;

type Entry = { policy: CompiledPolicy } | { error: MalformedPolicyError };

/** By text, then by kind: the same text compiles differently as a key policy and as an identity policy. */
const cache = new Map<string, Partial<Record<PolicyKind, Entry>>>();

export function compilePolicy(text: string, kind: PolicyKind): CompiledPolicy {
  let kinds = cache.get(text);
  if (kinds) {
    // Most recently used last.
    cache.delete(text);
  } else {
    kinds = {};
    if (cache.size >= POLICY_CACHE_CAPACITY) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
  }
  cache.set(text, kinds);
  let entry = kinds[kind];
  if (!entry) {
    try {
      entry = { policy: compileDocument(text, kind) };
    } catch (error) {
      if (!(error instanceof MalformedPolicyError)) throw error;
      entry = { error };
    }
    kinds[kind] = entry;
  }
  if ('error' in entry) throw entry.error;
  return entry.policy;
}

/** For tests and diagnostics: the number of distinct policy texts held. */
export function policyCacheSize(): number {
  return cache.size;
}
