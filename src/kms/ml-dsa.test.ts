import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mlDsaSign, mlDsaVerify, newMlDsaKey } from './ml-dsa.js';

/** The example keys of RFC 9881 (ML-DSA in X.509), Appendix C: seed 000102…1f. */
const RFC_SEED = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const RFC_EXAMPLES = [
  {
    spec: 'ML_DSA_44',
    privateKeyBase64: 'MDQCAQAwCwYJYIZIAWUDBAMRBCKAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f',
    publicKeySha256: '837832708c5236d951581f1fddf2b79991b3424a0486d16da1ddad0fd69701be',
    publicKeyBytes: 1312,
  },
  {
    spec: 'ML_DSA_65',
    privateKeyBase64: 'MDQCAQAwCwYJYIZIAWUDBAMSBCKAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f',
    publicKeySha256: 'b8b62131bfbe84433efb2273d7f5b87f7a22854a2cfd366fc2aead86d837c52d',
    publicKeyBytes: 1952,
  },
  {
    spec: 'ML_DSA_87',
    privateKeyBase64: 'MDQCAQAwCwYJYIZIAWUDBAMTBCKAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f',
    publicKeySha256: '07e57c4f14dbad1267f621ec3777b4e2e6c4fbc4c22fbb87510ff8e0b3c6a642',
    publicKeyBytes: 2592,
  },
] as const;

describe('ML-DSA key encodings', () => {
  it.each(RFC_EXAMPLES)('$spec: the seed-form PKCS#8 and the SPKI equal RFC 9881 Appendix C', (example) => {
    const { pkcs8, spki } = newMlDsaKey(example.spec, Buffer.from(RFC_SEED));
    expect(pkcs8.toString('base64')).toBe(example.privateKeyBase64);
    expect(createHash('sha256').update(spki).digest('hex')).toBe(example.publicKeySha256);
    // SEQUENCE, AlgorithmIdentifier (13 bytes), BIT STRING header and its 0 unused-bits byte.
    expect(spki.length).toBe(4 + 13 + 4 + 1 + example.publicKeyBytes);
  });

  it('signs with the stored key and verifies with the public key; tampering is detected', () => {
    const { pkcs8, spki } = newMlDsaKey('ML_DSA_44');
    const message = Buffer.from('message');
    const signature = mlDsaSign('ML_DSA_44', pkcs8, 'RAW', message);
    expect(signature.length).toBe(2420);
    expect(mlDsaVerify('ML_DSA_44', spki, 'RAW', message, signature)).toBe(true);
    expect(mlDsaVerify('ML_DSA_44', spki, 'RAW', Buffer.from('massage'), signature)).toBe(false);
    expect(mlDsaVerify('ML_DSA_44', spki, 'RAW', message, signature.subarray(1))).toBe(false);
  });

  it('refuses stored material that is not a seed-form PKCS#8 of the spec', () => {
    const { pkcs8 } = newMlDsaKey('ML_DSA_44');
    expect(() => mlDsaSign('ML_DSA_65', pkcs8, 'RAW', Buffer.from('m'))).toThrow(/PKCS#8 seed form/);
  });
});
