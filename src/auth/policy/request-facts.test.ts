/**
 * How the evaluator reads a request's condition keys (request-facts.ts): names found by a
 * case-insensitive scan rather than an index, values computed only when read, one RequestFacts
 * shared by the policies of one decision.
 */
import { describe, expect, it, vi } from 'vitest';
import { compilePolicy, evaluatePolicy, RequestFacts, type ConditionValues } from './index.js';
import { alice, policy, request } from '../../../test/helpers/policy-fixtures.js';

function allows(condition: object, context: ConditionValues, principal = alice): boolean {
  const text = policy({ Effect: 'Allow', Action: 'kms:*', Resource: '*', Condition: condition });
  return evaluatePolicy(compilePolicy(text, 'identity'), request(principal, 'kms:Encrypt', context)).allowed;
}

describe('condition key names', () => {
  it('match whatever the case on either side', () => {
    expect(allows({ StringEquals: { 'KMS:EncryptionContext:APP': 'x' } }, { 'kms:encryptioncontext:app': 'x' })).toBe(true);
    expect(allows({ StringEquals: { 'kms:encryptioncontext:app': 'x' } }, { 'KMS:EncryptionContext:App': 'x' })).toBe(true);
    expect(allows({ StringEquals: { 'kms:EncryptionContext:app': 'x' } }, { 'kms:EncryptionContext:apps': 'x' })).toBe(false);
    expect(allows({ StringEquals: { 'kms:EncryptionContext:apps': 'x' } }, { 'kms:EncryptionContext:app': 'x' })).toBe(false);
  });

  it('outside ASCII, match as toLowerCase makes them', () => {
    expect(allows({ StringEquals: { 'kms:EncryptionContext:äpfel': 'x' } }, { 'kms:EncryptionContext:ÄPFEL': 'x' })).toBe(true);
    expect(allows({ StringEquals: { 'kms:EncryptionContext:äpfel': 'x' } }, { 'kms:EncryptionContext:APFEL': 'x' })).toBe(false);
    // The Kelvin sign lower-cases to an ASCII k.
    expect(allows({ StringEquals: { 'kms:EncryptionContext:key': 'x' } }, { 'kms:EncryptionContext:\u212Aey': 'x' })).toBe(true);
  });

  it('of which several differ only in case: the last one given counts', () => {
    const context = { 'kms:EncryptionContext:App': 'first', 'kms:EncryptionContext:APP': 'last' };
    expect(allows({ StringEquals: { 'kms:EncryptionContext:app': 'last' } }, context)).toBe(true);
    expect(allows({ StringEquals: { 'kms:EncryptionContext:app': 'first' } }, context)).toBe(false);
  });

  it("the principal's own keys win over the request's", () => {
    expect(allows({ StringEquals: { 'aws:username': 'Alice' } }, { 'aws:username': 'Mallory' })).toBe(true);
    expect(allows({ StringEquals: { 'aws:username': 'Mallory' } }, { 'aws:username': 'Mallory' })).toBe(false);
    expect(allows({ StringEquals: { 'aws:PrincipalTag/TEAM': 'blue' } }, { 'aws:PrincipalTag/team': 'red' })).toBe(true);
  });

  it('aws:ViaAWSService is false unless the request says otherwise', () => {
    expect(allows({ Bool: { 'aws:ViaAWSService': 'false' } }, {})).toBe(true);
    expect(allows({ Bool: { 'aws:ViaAWSService': 'false' } }, { 'aws:ViaAWSService': true })).toBe(false);
  });
});

describe('a value given as a function', () => {
  it('is computed when a condition reads the key, and counts', () => {
    const now = vi.fn(() => '2026-01-01T00:00:00.000Z');
    expect(allows({ DateLessThan: { 'aws:CurrentTime': '2026-06-01T00:00:00Z' } }, { 'aws:CurrentTime': now })).toBe(true);
    expect(allows({ DateGreaterThan: { 'aws:CurrentTime': '2026-06-01T00:00:00Z' } }, { 'aws:CurrentTime': now })).toBe(false);
    expect(now).toHaveBeenCalled();
  });

  it('is not computed when no policy reads the key', () => {
    const now = vi.fn(() => '2026-01-01T00:00:00.000Z');
    expect(allows({ StringEquals: { 'aws:SourceIp': '10.0.0.1' } }, { 'aws:CurrentTime': now, 'aws:SourceIp': '10.0.0.1' })).toBe(true);
    expect(now).not.toHaveBeenCalled();
  });

  it('substitutes as a policy variable', () => {
    const text = policy({
      Effect: 'Allow',
      Action: 'kms:*',
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceIp': '${kms:CallerAccount}' } },
    });
    const context = { 'kms:CallerAccount': () => '111122223333', 'aws:SourceIp': '111122223333' };
    expect(evaluatePolicy(compilePolicy(text, 'identity'), request(alice, 'kms:Encrypt', context)).allowed).toBe(true);
  });
});

describe('one RequestFacts for several policies', () => {
  it('gives each policy the answer it gives alone', () => {
    const context = { 'kms:EncryptionContext:app': 'bench', 'aws:SecureTransport': false };
    const texts = [
      policy({
        Effect: 'Allow',
        Action: 'kms:Encrypt',
        Resource: '*',
        Condition: { StringEquals: { 'kms:EncryptionContext:app': 'bench' } },
      }),
      policy({ Effect: 'Deny', Action: 'kms:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      policy({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' }),
    ].map((text) => compilePolicy(text, 'identity'));
    const facts = new RequestFacts(request(alice, 'kms:Encrypt', context));
    const shared = texts.map((p) => evaluatePolicy(p, facts));
    expect(shared).toEqual(texts.map((p) => evaluatePolicy(p, request(alice, 'kms:Encrypt', context))));
    expect(shared.map((r) => [r.allowed, r.explicitDeny])).toEqual([
      [true, false],
      [false, true],
      [false, false],
    ]);
  });
});
