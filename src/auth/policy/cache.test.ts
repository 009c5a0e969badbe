import { afterEach, describe, expect, it, vi } from 'vitest';
import { compilePolicy, evaluatePolicy, MalformedPolicyError, POLICY_CACHE_CAPACITY } from './index.js';
import { policyCacheSize } from './cache.js';
import { ACCOUNT, alice, policy, request } from '../../../test/helpers/policy-fixtures.js';

const text = policy({
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: 'kms:*',
  Resource: '*',
  Condition: { StringLike: { 'kms:EncryptionContext:owner': '${aws:username}*' }, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
});

afterEach(() => vi.restoreAllMocks());

describe('compilePolicy cache', () => {
  it('returns the same compiled policy for the same kind and text', () => {
    const first = compilePolicy(text, 'key');
    expect(compilePolicy(text, 'key')).toBe(first);
    expect(compilePolicy(text, 'resource')).not.toBe(first);
    expect(compilePolicy(text, 'resource').kind).toBe('resource');
  });

  it('remembers a rejected policy and throws the same error again', () => {
    const bad = '{"Statement": 1';
    let first: unknown;
    try {
      compilePolicy(bad, 'identity');
    } catch (error) {
      first = error;
    }
    expect(first).toBeInstanceOf(MalformedPolicyError);
    expect(() => compilePolicy(bad, 'identity')).toThrow(first as Error);
  });

  it('does not parse JSON again for a cached policy, nor during evaluation', () => {
    compilePolicy(text, 'key');
    const parse = vi.spyOn(JSON, 'parse');
    const compiled = compilePolicy(text, 'key');
    const result = evaluatePolicy(
      compiled,
      request(alice, 'kms:Encrypt', { 'kms:EncryptionContext:owner': 'Alice-1', 'aws:SourceIp': '10.1.2.3' }),
    );
    expect(result.allowedViaAccount).toBe(true);
    expect(parse).not.toHaveBeenCalled();
  });

  it('stays bounded, evicting the least recently used policy', () => {
    const keep = compilePolicy(policy({ Effect: 'Allow', Action: 'kms:Keep', Resource: '*' }), 'identity');
    const evicted = policy({ Effect: 'Allow', Action: 'kms:Action0', Resource: '*' });
    const firstCompiled = compilePolicy(evicted, 'identity');
    for (let i = 0; i < POLICY_CACHE_CAPACITY + 10; i++) {
      compilePolicy(policy({ Effect: 'Allow', Action: `kms:Action${i}`, Resource: '*' }), 'identity');
      // Touching `keep` keeps it the most recently used.
      if (i % 100 === 0) expect(compilePolicy(keep.text, 'identity')).toBe(keep);
    }
    expect(policyCacheSize()).toBe(POLICY_CACHE_CAPACITY);
    expect(compilePolicy(keep.text, 'identity')).toBe(keep);
    // kms:Action0 was among the oldest entries: it was evicted and compiles anew.
    const recompiled = compilePolicy(evicted, 'identity');
    expect(recompiled).not.toBe(firstCompiled);
    expect(compilePolicy(evicted, 'identity')).toBe(recompiled);
  });
});
