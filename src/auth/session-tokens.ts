/**
 * STS session tokens that carry their own session, so kmsd keeps nothing in memory and any
 * node started with the same root key accepts them.
 *
 * A token is base64url( version ‖ iv(12) ‖ tag(16) ‖ AES-256-GCM(JSON session) ), under a key
 * derived from the root key with its own HKDF label. GCM's tag makes a forged or altered token
 * fail to open; the AAD binds it to this purpose. The temporary secret travels inside, sealed.
 */
import { randomBytes } from 'node:crypto';
import { GCM_IV_LENGTH, GCM_TAG_LENGTH, gcmOpen, gcmSeal } from '../core/aes-gcm.js';

/** What an AssumeRole session is: enough to rebuild its principal from the current config. */
export interface RoleSession {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  roleName: string;
  sessionName: string;
  /** Epoch milliseconds. */
  issuedAt: number;
  expiresAt: number;
  /** The principal that called AssumeRole (for the audit log). */
  sourceArn: string;
  sessionPolicy?: string;
  sessionTags?: Record<string, string>;
}

const TOKEN_VERSION = 1;
const AAD = Buffer.from('kmsd:sts-session-token:v1', 'utf8');
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export class SessionTokens {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('a session token key is 32 bytes');
  }

  seal(session: RoleSession): string {
    // The JSON holds the temporary secret: its bytes are zeroed once sealed.
    const json = Buffer.from(JSON.stringify(session), 'utf8');
    try {
      return Buffer.concat([Buffer.from([TOKEN_VERSION]), gcmSeal(this.key, json, AAD, 'iv-tag-ciphertext')]).toString('base64url');
    } finally {
      json.fill(0);
    }
  }

  /** The session in a token, or undefined when the token is not one of ours (forged, altered, other root key). */
  open(token: string): RoleSession | undefined {
    const buf = Buffer.from(token, 'base64url');
    // At least one byte of ciphertext: an empty session is never one of ours.
    if (buf.length <= 1 + GCM_IV_LENGTH + GCM_TAG_LENGTH || buf[0] !== TOKEN_VERSION) return undefined;
    const json = gcmOpen(this.key, buf.subarray(1), AAD, 'iv-tag-ciphertext');
    if (!json) return undefined;
    try {
      return JSON.parse(json.toString('utf8')) as RoleSession;
    } catch {
      return undefined;
    } finally {
      json.fill(0);
    }
  }
}

/** `ASIA` and 16 random base32 characters: the form of AWS's temporary access key ids. */
export function temporaryAccessKeyId(): string {
  const bytes = randomBytes(16);
  let out = 'ASIA';
  for (const b of bytes) out += BASE32[b & 31];
  return out;
}

/** 40 random characters, like AWS secret access keys. */
export function temporarySecret(): string {
  return randomBytes(30).toString('base64');
}
