import { createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gcmOpen, gcmSeal } from './aes-gcm.js';

const key = randomBytes(32);
const aad = Buffer.from('bound to this');
const plaintext = Buffer.from('attack at dawn');

/** Node's own AES-GCM on the parts, as the layout names them: the formats on disk depend on these offsets. */
function openDirectly(sealed: Buffer, tagAt: number, ctAt: number, ctEnd: number): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(tagAt, tagAt + 16));
  return Buffer.concat([decipher.update(sealed.subarray(ctAt, ctEnd)), decipher.final()]);
}

describe('AES-256-GCM helper', () => {
  it('puts iv, ciphertext and tag where each layout says', () => {
    const a = gcmSeal(key, plaintext, aad, 'iv-ciphertext-tag');
    expect(a.length).toBe(12 + plaintext.length + 16);
    expect(openDirectly(a, a.length - 16, 12, a.length - 16)).toEqual(plaintext);
    const b = gcmSeal(key, plaintext, aad, 'iv-tag-ciphertext');
    expect(openDirectly(b, 12, 28, b.length)).toEqual(plaintext);
  });

  it('uses the iv it is given, and a fresh random one otherwise', () => {
    const iv = randomBytes(12);
    expect(gcmSeal(key, plaintext, aad, 'iv-ciphertext-tag', iv).subarray(0, 12)).toEqual(iv);
    const first = gcmSeal(key, plaintext, aad, 'iv-ciphertext-tag');
    const second = gcmSeal(key, plaintext, aad, 'iv-ciphertext-tag');
    expect(first.subarray(0, 12).equals(second.subarray(0, 12))).toBe(false);
  });

  it('opens what it sealed, in both layouts, and nothing altered, truncated or bound elsewhere', () => {
    for (const layout of ['iv-ciphertext-tag', 'iv-tag-ciphertext'] as const) {
      const sealed = gcmSeal(key, plaintext, aad, layout);
      expect(gcmOpen(key, sealed, aad, layout)).toEqual(plaintext);
      const other = layout === 'iv-ciphertext-tag' ? 'iv-tag-ciphertext' : 'iv-ciphertext-tag';
      expect(gcmOpen(key, sealed, aad, other)).toBeUndefined();
      expect(gcmOpen(key, sealed, Buffer.from('elsewhere'), layout)).toBeUndefined();
      expect(gcmOpen(randomBytes(32), sealed, aad, layout)).toBeUndefined();
      expect(gcmOpen(key, sealed.subarray(0, 27), aad, layout)).toBeUndefined();
      for (const at of [0, 12, 20, sealed.length - 1]) {
        const tampered = Buffer.from(sealed);
        tampered[at] ^= 1;
        expect(gcmOpen(key, tampered, aad, layout)).toBeUndefined();
      }
    }
  });

  it('seals an empty plaintext to iv and tag alone', () => {
    const sealed = gcmSeal(key, Buffer.alloc(0), aad, 'iv-tag-ciphertext');
    expect(sealed.length).toBe(28);
    expect(gcmOpen(key, sealed, aad, 'iv-tag-ciphertext')).toEqual(Buffer.alloc(0));
  });
});
