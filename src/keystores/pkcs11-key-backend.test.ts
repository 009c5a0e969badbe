/**
 * Pkcs11KeyBackend on a real SoftHSM2 token: KMS key material generated and used in the
 * token by label (the key ARN), and every token failure turned into the port's own errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSoftHsmToken } from '../../test/helpers/softhsm.js';
import type { SoftHsmToken } from '../../test/helpers/softhsm.js';
import { BackingKeyNotFoundError, CiphertextAuthenticationError, KeyStoreUnavailableError } from './errors.js';
import type { BackendKeyRef } from './key-backend.js';
import { Pkcs11KeyBackend } from './pkcs11-key-backend.js';
import { Pkcs11Token } from './pkcs11/pkcs11-token.js';

let softhsm: SoftHsmToken;
let backend: Pkcs11KeyBackend;

const ref = (keyId: string): BackendKeyRef => ({
  scope: { account: '111122223333', region: 'us-east-1' },
  keyId,
  arn: `arn:aws:kms:us-east-1:111122223333:key/${keyId}`,
  materialId: '0'.repeat(64),
  customKeyStoreId: 'cks-0123456789abcdef0',
});

beforeAll(async () => {
  softhsm = await makeSoftHsmToken('backend-token');
  softhsm.useInThisProcess();
  backend = new Pkcs11KeyBackend('lab', softhsm);
});
afterAll(() => {
  backend?.close();
  softhsm?.remove();
});

describe('Pkcs11KeyBackend', () => {
  it('keeps each KMS key as a token key labelled with its ARN, and seals iv ‖ ciphertext ‖ tag', async () => {
    const key = ref('a1');
    await backend.createMaterial(key);
    const check = Pkcs11Token.open(softhsm);
    try {
      expect(await check.describeKey(key.arn)).toEqual({ label: key.arn, aes256: true, canEncrypt: true, canDecrypt: true });
      const aad = Buffer.from('header and context');
      const body = await backend.seal(key, Buffer.from('secret'), aad);
      expect(body.length).toBe(12 + 6 + 16);
      expect((await backend.open(key, body, aad)).toString()).toBe('secret');
      // The same bytes open with the driver directly: the layout is iv(12) ‖ ciphertext ‖ tag(16).
      const direct = await check.decrypt(
        key.arn,
        { iv: body.subarray(0, 12), ciphertext: body.subarray(12, 18), tag: body.subarray(18) },
        aad,
      );
      expect(direct.toString()).toBe('secret');

      const tampered = Buffer.from(body);
      tampered[15] ^= 1;
      await expect(backend.open(key, tampered, aad)).rejects.toBeInstanceOf(CiphertextAuthenticationError);
      await expect(backend.open(key, body, Buffer.from('other'))).rejects.toBeInstanceOf(CiphertextAuthenticationError);
      await expect(backend.open(key, body.subarray(0, 27), aad)).rejects.toBeInstanceOf(CiphertextAuthenticationError);

      await backend.destroyMaterial(key);
      expect(await check.describeKey(key.arn)).toBeUndefined();
      await expect(backend.seal(key, Buffer.from('x'), aad)).rejects.toEqual(new BackingKeyNotFoundError(key.arn));
      await expect(backend.destroyMaterial(key)).rejects.toBeInstanceOf(BackingKeyNotFoundError);
    } finally {
      check.close();
    }
  });

  it('is healthy when the token answers, and unavailable (not crashing) when it cannot be opened', async () => {
    expect(await backend.health()).toEqual({ healthy: true });
    const wrongPin = new Pkcs11KeyBackend('wrong', { ...softhsm, pin: 'not-the-pin' });
    const health = await wrongPin.health();
    expect(health.healthy).toBe(false);
    if (!health.healthy) expect(health.error).toBeInstanceOf(KeyStoreUnavailableError);
    await expect(wrongPin.createMaterial(ref('b2'))).rejects.toBeInstanceOf(KeyStoreUnavailableError);
    const absent = new Pkcs11KeyBackend('absent', { ...softhsm, tokenLabel: 'no-such-token' });
    await expect(absent.seal(ref('b3'), Buffer.from('x'), Buffer.alloc(0))).rejects.toThrow(
      "PKCS#11 token absent: no token labelled 'no-such-token'",
    );
  });
});
