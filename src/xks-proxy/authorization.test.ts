import { describe, expect, it } from 'vitest';
import { parseAuthorizationRules, XksAuthorizer } from './authorization.js';
import type { XksAccessRequest } from './authorization.js';
import { XksError } from './errors.js';

const ROOT = 'arn:aws:iam::111122223333:root';
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234';
const encrypt: XksAccessRequest = {
  accessKeyIds: 'AAAAAAAAAAAAAAAAAAAAAAAA',
  xksKeyIds: 'payments',
  kmsKeyArns: KEY_ARN,
  awsPrincipalArns: ROOT,
  kmsOperations: 'Encrypt',
};

function denial(authorizer: XksAuthorizer, request: XksAccessRequest): string | undefined {
  try {
    authorizer.authorize(request);
    return undefined;
  } catch (err) {
    return err instanceof XksError ? `${err.status} ${err.errorName}` : String(err);
  }
}

describe('XKS proxy secondary authorization', () => {
  it('allows everything without rules', () => {
    expect(denial(new XksAuthorizer([]), encrypt)).toBeUndefined();
  });

  it('needs every listed attribute of one rule to match, any value of each', () => {
    const authorizer = new XksAuthorizer(
      parseAuthorizationRules([
        { xksKeyIds: ['payments', 'ledger'], awsPrincipalArns: [ROOT] },
        { kmsOperations: ['CreateKey'], awsPrincipalArns: ['arn:aws:iam::111122223333:role/admin-*'] },
      ]),
    );
    expect(denial(authorizer, encrypt)).toBeUndefined();
    expect(denial(authorizer, { ...encrypt, xksKeyIds: 'ledger' })).toBeUndefined();
    expect(denial(authorizer, { ...encrypt, xksKeyIds: 'other' })).toBe('403 AccessDeniedException');
    expect(denial(authorizer, { ...encrypt, awsPrincipalArns: 'arn:aws:iam::111122223333:user/bob' })).toBe('403 AccessDeniedException');
    const createKey = { ...encrypt, xksKeyIds: 'other', kmsKeyArns: undefined, kmsOperations: 'CreateKey' };
    expect(denial(authorizer, { ...createKey, awsPrincipalArns: 'arn:aws:iam::111122223333:role/admin-eu' })).toBeUndefined();
    expect(denial(authorizer, { ...createKey, awsPrincipalArns: 'arn:aws:iam::111122223333:role/admin' })).toBe(
      '403 AccessDeniedException',
    );
  });

  it('never matches a listed attribute the request lacks, and * only where written', () => {
    const authorizer = new XksAuthorizer(parseAuthorizationRules([{ kmsKeyArns: ['arn:aws:kms:us-east-1:111122223333:key/*'] }]));
    expect(denial(authorizer, encrypt)).toBeUndefined();
    expect(denial(authorizer, { ...encrypt, kmsKeyArns: undefined })).toBe('403 AccessDeniedException');
    expect(denial(authorizer, { ...encrypt, kmsKeyArns: 'arn:aws:kms:us-east-1:444455556666:key/1234' })).toBe('403 AccessDeniedException');
    // Dots and other regular expression characters are literal.
    const literal = new XksAuthorizer(parseAuthorizationRules([{ xksKeyIds: ['a.b'] }]));
    expect(denial(literal, { ...encrypt, xksKeyIds: 'a.b' })).toBeUndefined();
    expect(denial(literal, { ...encrypt, xksKeyIds: 'axb' })).toBe('403 AccessDeniedException');
  });

  it('refuses rules that would silently allow more than written', () => {
    expect(() => parseAuthorizationRules({})).toThrow('authorization must be a list of rules');
    expect(() => parseAuthorizationRules([{ kmsKeyArn: [KEY_ARN] }])).toThrow('authorization rule 1: unknown attribute "kmsKeyArn"');
    expect(() => parseAuthorizationRules([{}])).toThrow('authorization rule 1 lists no attribute');
    expect(() => parseAuthorizationRules([{ xksKeyIds: [] }])).toThrow('"xksKeyIds" must be a non-empty list of non-empty strings');
    expect(() => parseAuthorizationRules([{ xksKeyIds: 'payments' }])).toThrow('"xksKeyIds" must be a non-empty list');
  });
});
