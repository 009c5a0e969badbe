import { describe, expect, it } from 'vitest';
import { constraintHolds, coversChildGrant, isGrantee } from './grant-authorization.js';
import { newGrantToken, parseGrantToken } from './grants.js';
import type { GrantRow } from './grants.js';
import type { Principal } from '../auth/principal.js';

const user: Principal = {
  type: 'User',
  arn: 'arn:aws:iam::111122223333:user/bob',
  accountId: '111122223333',
  userId: 'AIDAX',
  tags: {},
  identityPolicies: [],
};
const session: Principal = {
  ...user,
  type: 'AssumedRole',
  arn: 'arn:aws:sts::111122223333:assumed-role/app/s1',
  roleArn: 'arn:aws:iam::111122223333:role/app',
};

describe('grant matching', () => {
  it('matches the grantee by its ARN, or a role session by its role ARN', () => {
    expect(isGrantee(user.arn, user)).toBe(true);
    expect(isGrantee('arn:aws:iam::111122223333:user/alice', user)).toBe(false);
    expect(isGrantee('arn:aws:iam::111122223333:role/app', session)).toBe(true);
    expect(isGrantee(session.arn, session)).toBe(true);
    expect(isGrantee(undefined, user)).toBe(false);
  });

  it('checks encryption-context constraints: keys case-insensitive, values exact', () => {
    expect(constraintHolds({ EncryptionContextSubset: { App: 'x' } }, { app: 'x', other: 'y' })).toBe(true);
    expect(constraintHolds({ EncryptionContextSubset: { App: 'x' } }, { app: 'X' })).toBe(false);
    expect(constraintHolds({ EncryptionContextSubset: { App: 'x' } }, undefined)).toBe(false);
    expect(constraintHolds({ EncryptionContextEquals: { a: '1' } }, { A: '1' })).toBe(true);
    expect(constraintHolds({ EncryptionContextEquals: { a: '1' } }, { a: '1', b: '2' })).toBe(false);
    expect(constraintHolds(undefined, { anything: 'goes' })).toBe(true);
  });

  it('lets a grant create only narrower grants', () => {
    const parent = { operations: ['Encrypt', 'CreateGrant'], constraints: { EncryptionContextSubset: { app: 'x' } } } as Pick<
      GrantRow,
      'operations' | 'constraints'
    >;
    expect(coversChildGrant(parent, ['Encrypt'], { EncryptionContextSubset: { app: 'x', user: 'u' } })).toBe(true);
    expect(coversChildGrant(parent, ['Encrypt'], { EncryptionContextEquals: { app: 'x' } })).toBe(true);
    expect(coversChildGrant(parent, ['Encrypt'], undefined)).toBe(false);
    expect(coversChildGrant(parent, ['Decrypt'], { EncryptionContextSubset: { app: 'x' } })).toBe(false);
    const equals = { operations: ['Encrypt'], constraints: { EncryptionContextEquals: { app: 'x' } } } as Pick<
      GrantRow,
      'operations' | 'constraints'
    >;
    expect(coversChildGrant(equals, ['Encrypt'], { EncryptionContextSubset: { app: 'x' } })).toBe(false);
  });
});

describe('grant tokens', () => {
  it('name their key scope, key and grant; older tokens without a scope still parse', () => {
    const grantId = 'a'.repeat(64);
    const keyId = '11111111-2222-3333-4444-555555555555';
    const { token } = newGrantToken({ account: '444455556666', region: 'eu-west-1', keyId }, grantId);
    expect(parseGrantToken(token)).toEqual({ scope: { account: '444455556666', region: 'eu-west-1' }, keyId, grantId });
    const old = Buffer.from(`${keyId}:${grantId}:${'b'.repeat(64)}`).toString('base64url');
    expect(parseGrantToken(old)).toEqual({ scope: undefined, keyId, grantId });
    expect(parseGrantToken('not-a-token')).toBeUndefined();
  });
});
