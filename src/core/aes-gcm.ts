/**
 * AES-256-GCM with a 96-bit IV and a 128-bit tag, the one implementation every sealed format
 * of kmsd uses (root-key wraps, AWS_KMS ciphertext bodies, the emulated HSMs, STS session
 * tokens). The formats differ only in where the tag sits, so the layout is a parameter and
 * each caller keeps its own prefix (version byte, KDF nonce) byte for byte.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { publicRandomBytes } from './public-random.js';

export const GCM_IV_LENGTH = 12;
export const GCM_TAG_LENGTH = 16;

/** `iv-ciphertext-tag`: iv(12) ‖ ciphertext ‖ tag(16). `iv-tag-ciphertext`: iv(12) ‖ tag(16) ‖ ciphertext. */
export type GcmLayout = 'iv-ciphertext-tag' | 'iv-tag-ciphertext';

/**
 * Encrypts `plaintext` bound to `aad`; `iv` is random unless the caller drew it (it must never
 * repeat under one key). The IV is public once written, so it comes from the pooled draw
 * (public-random.ts): a randomBytes() call per seal was 17% of the CPU of an Encrypt with a
 * CloudHSM key store key in a profile under load.
 */
export function gcmSeal(
  key: Buffer | KeyObject,
  plaintext: Buffer,
  aad: Buffer,
  layout: GcmLayout,
  iv: Buffer = publicRandomBytes(GCM_IV_LENGTH),
): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_LENGTH });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return Buffer.concat(layout === 'iv-ciphertext-tag' ? [iv, ciphertext, tag] : [iv, tag, ciphertext]);
}

/**
 * The plaintext of a `gcmSeal` result, or undefined when it fails authentication (altered,
 * truncated, other AAD or key). Intermediate plaintext buffers are zeroed once copied; the
 * returned buffer is the caller's to zero.
 */
export function gcmOpen(key: Buffer | KeyObject, sealed: Buffer, aad: Buffer, layout: GcmLayout): Buffer | undefined {
  if (sealed.length < GCM_IV_LENGTH + GCM_TAG_LENGTH) return undefined;
  const iv = sealed.subarray(0, GCM_IV_LENGTH);
  const [tag, ciphertext] =
    layout === 'iv-ciphertext-tag'
      ? [sealed.subarray(sealed.length - GCM_TAG_LENGTH), sealed.subarray(GCM_IV_LENGTH, sealed.length - GCM_TAG_LENGTH)]
      : [sealed.subarray(GCM_IV_LENGTH, GCM_IV_LENGTH + GCM_TAG_LENGTH), sealed.subarray(GCM_IV_LENGTH + GCM_TAG_LENGTH)];
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const head = decipher.update(ciphertext);
  try {
    const tail = decipher.final();
    const plaintext = Buffer.concat([head, tail]);
    tail.fill(0);
    return plaintext;
  } catch {
    return undefined;
  } finally {
    // Unauthenticated output must never be used; authenticated output now lives in the copy.
    head.fill(0);
  }
}
