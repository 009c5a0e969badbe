import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SessionTokens, temporaryAccessKeyId } from './session-tokens.js';
import type { RoleSession } from './session-tokens.js';

const session: RoleSession = {
  accessKeyId: temporaryAccessKeyId(),
  secretAccessKey: 'temporary-secret-value',
  accountId: '111122223333',
  roleName: 'app',
  sessionName: 's1',
  issuedAt: 1_000,
  expiresAt: 3_601_000,
  sourceArn: 'arn:aws:iam::111122223333:user/alice',
};

describe('session tokens', () => {
  const key = randomBytes(32);
  const tokens = new SessionTokens(key);

  it('round-trips a session, and the secret is not readable in the token', () => {
    const token = tokens.seal(session);
    expect(tokens.open(token)).toEqual(session);
    expect(Buffer.from(token, 'base64url').includes('temporary-secret-value')).toBe(false);
    expect(token).not.toContain('temporary-secret-value');
  });

  it('refuses an altered token, one sealed under another key, and garbage', () => {
    const token = Buffer.from(tokens.seal(session), 'base64url');
    token[token.length - 1] ^= 1;
    expect(tokens.open(token.toString('base64url'))).toBeUndefined();
    expect(new SessionTokens(randomBytes(32)).open(tokens.seal(session))).toBeUndefined();
    expect(tokens.open('not-a-token')).toBeUndefined();
    expect(tokens.open('')).toBeUndefined();
  });

  it('issues ASIA access key ids of 20 characters', () => {
    expect(temporaryAccessKeyId()).toMatch(/^ASIA[A-Z2-7]{16}$/);
  });
});
