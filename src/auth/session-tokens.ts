/**
 * STS session tokens that carry their own session, so kmsd keeps nothing in memory and any
 * node started with the same root key accepts them.
 *
 * A token is base64url( version ‖ iv(12) ‖ tag(16) ‖ AES-256-GCM(JSON session) ), under a key
 * derived from the root key with its own HKDF label. GCM's tag makes a forged or altered token
 * fail to open; the AAD binds it to this purpose. The temporary secret travels inside, sealed.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

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
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(AAD);
    const ct = Buffer.concat([cipher.update(JSON.stringify(session), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([TOKEN_VERSION]), iv, cipher.getAuthTag(), ct]).toString('base64url');
  }

  /** The session in a token, or undefined when the token is not one of ours (forged, altered, other root key). */
  open(token: string): RoleSession | undefined {
    const buf = Buffer.from(token, 'base64url');
    if (buf.length < 30 || buf[0] !== TOKEN_VERSION) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, buf.subarray(1, 13));
      decipher.setAAD(AAD);
      decipher.setAuthTag(buf.subarray(13, 29));
      const json = Buffer.concat([decipher.update(buf.subarray(29)), decipher.final()]).toString('utf8');
      return JSON.parse(json) as RoleSession;
    } catch {
      return undefined;
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
