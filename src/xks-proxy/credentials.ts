/**
 * Proxy authentication credentials (xks-proxy.md §5): an access key id of 20-30 characters
 * of [A-Z2-7] and a secret of 43-64 characters of [A-Za-z0-9+/=] with at least 256 bits of
 * entropy. Unrelated to IAM credentials; the id says nothing about the secret.
 */
import { randomBytes } from 'node:crypto';

export interface XksProxyCredential {
  accessKeyId: string;
  secretAccessKey: string;
}

export const ACCESS_KEY_ID_PATTERN = /^[A-Z2-7]{20,30}$/;
export const SECRET_PATTERN = /^[A-Za-z0-9+/=]{43,64}$/;

/** A random 24-character id and base64 of 32 random bytes. */
export function newXksCredential(): XksProxyCredential {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  // 256 is a multiple of 32: every letter equally likely.
  const accessKeyId = Array.from(randomBytes(24), (b) => alphabet[b % 32]).join('');
  return { accessKeyId, secretAccessKey: randomBytes(32).toString('base64') };
}
