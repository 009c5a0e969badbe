/**
 * The PKCS#11 backend against a real token: SoftHSM2 with a token made in a temporary
 * directory. Ciphertexts are checked against node:crypto's AES-GCM only in the direction
 * that needs no key material (the key never leaves the token): lengths, tag failures, AAD.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pkcs11Token } from './pkcs11-token.js';
import { Pkcs11DecryptionFailedError, Pkcs11KeyExistsError, Pkcs11KeyNotFoundError, Pkcs11UnavailableError } from './errors.js';
import { makeSoftHsmToken } from '../../../test/helpers/softhsm.js';
import type { SoftHsmToken } from '../../../test/helpers/softhsm.js';

let softhsm: SoftHsmToken;
let token: Pkcs11Token;

beforeAll(async () => {
  softhsm = await makeSoftHsmToken('unit-token');
  softhsm.useInThisProcess();
  token = Pkcs11Token.open(softhsm);
});
afterAll(() => {
  token?.close();
  softhsm?.remove();
});

describe('Pkcs11Token on SoftHSM2', () => {
  it('refuses a wrong PIN and an unknown token label', () => {
    expect(() => Pkcs11Token.open({ ...softhsm, tokenLabel: 'no-such-token' })).toThrow(Pkcs11UnavailableError);
    expect(() => Pkcs11Token.open({ ...softhsm, tokenLabel: 'no-such-token' })).toThrow("no token labelled 'no-such-token'");
    expect(() => Pkcs11Token.open({ ...softhsm, pin: 'wrong-pin' })).toThrow("cannot log in to token 'unit-token': CKR_PIN_INCORRECT");
  });

  it('generates an AES-256 key that encrypts and decrypts with AAD, and refuses a second key of the same label', async () => {
    await token.generateAesKey('key-a');
    expect(await token.describeKey('key-a')).toEqual({ label: 'key-a', aes256: true, canEncrypt: true, canDecrypt: true });
    expect(await token.describeKey('missing')).toBeUndefined();
    await expect(token.generateAesKey('key-a')).rejects.toBeInstanceOf(Pkcs11KeyExistsError);

    const plaintext = Buffer.from('secret message for the token');
    const aad = Buffer.from('context');
    const sealed = await token.encrypt('key-a', plaintext, aad);
    expect(sealed.iv).toHaveLength(12);
    expect(sealed.tag).toHaveLength(16);
    expect(sealed.ciphertext).toHaveLength(plaintext.length);
    expect(sealed.ciphertext.equals(plaintext)).toBe(false);
    expect(await token.decrypt('key-a', sealed, aad)).toEqual(plaintext);

    await expect(token.decrypt('key-a', sealed, Buffer.from('other context'))).rejects.toBeInstanceOf(Pkcs11DecryptionFailedError);
    const flipped = Buffer.from(sealed.tag);
    flipped[0] ^= 1;
    await expect(token.decrypt('key-a', { ...sealed, tag: flipped }, aad)).rejects.toBeInstanceOf(Pkcs11DecryptionFailedError);
    // The pool closed the failed sessions; the token keeps working.
    expect(await token.decrypt('key-a', sealed, aad)).toEqual(plaintext);
  });

  it('keeps keys apart, lists them, and destroys one', async () => {
    await token.generateAesKey('key-b');
    const sealed = await token.encrypt('key-b', Buffer.from('b'), Buffer.alloc(0));
    await expect(token.decrypt('key-a', sealed, Buffer.alloc(0))).rejects.toBeInstanceOf(Pkcs11DecryptionFailedError);
    expect(await token.listKeys()).toEqual(['key-a', 'key-b']);
    await token.destroyKey('key-b');
    expect(await token.listKeys()).toEqual(['key-a']);
    await expect(token.encrypt('key-b', Buffer.from('b'), Buffer.alloc(0))).rejects.toBeInstanceOf(Pkcs11KeyNotFoundError);
    await expect(token.destroyKey('key-b')).rejects.toBeInstanceOf(Pkcs11KeyNotFoundError);
  });

  it('serves many concurrent operations through its session pool', async () => {
    const inputs = Array.from({ length: 40 }, (_, i) => Buffer.from(`message ${i}`));
    const sealed = await Promise.all(inputs.map((p) => token.encrypt('key-a', p, Buffer.from('aad'))));
    const opened = await Promise.all(sealed.map((s) => token.decrypt('key-a', s, Buffer.from('aad'))));
    expect(opened.map((b) => b.toString())).toEqual(inputs.map((b) => b.toString()));
  });

  it('reports deep health and keeps the key usable by a second token object of the same process', async () => {
    expect(await token.health()).toEqual({ tokenLabel: 'unit-token', manufacturer: 'SoftHSM project', model: 'SoftHSM v2' });
    const second = Pkcs11Token.open(softhsm);
    try {
      const sealed = await second.encrypt('key-a', Buffer.from('shared'), Buffer.alloc(0));
      expect((await token.decrypt('key-a', sealed, Buffer.alloc(0))).toString()).toBe('shared');
    } finally {
      second.close();
    }
    expect(await token.listKeys()).toEqual(['key-a']);
  });
});
