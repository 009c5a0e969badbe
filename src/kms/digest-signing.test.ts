import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signDigest, verifyDigest } from './digest-signing.js';
import type { SigningScheme } from './asymmetric.js';

const ED25519PH: SigningScheme = { hash: 'sha512', digestBytes: 64, kind: 'ed25519ph' };

/** RFC 8032 §7.3, the Ed25519ph test vector ("abc", empty context). */
const SECRET = Buffer.from('833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42', 'hex');
const PUBLIC = Buffer.from('ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf', 'hex');
const SIGNATURE =
  '98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41' + '31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406';

describe('Ed25519ph (ED25519_PH_SHA_512)', () => {
  const jwk = { kty: 'OKP', crv: 'Ed25519', d: SECRET.toString('base64url'), x: PUBLIC.toString('base64url') };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });

  it('signs the RFC 8032 vector from a node:crypto key to the published signature', () => {
    expect(signDigest(ED25519PH, privateKey, Buffer.from('abc')).toString('hex')).toBe(SIGNATURE);
  });

  it('verifies the published signature and refuses a changed message or signature', () => {
    const signature = Buffer.from(SIGNATURE, 'hex');
    expect(verifyDigest(ED25519PH, publicKey, Buffer.from('abc'), signature)).toBe(true);
    expect(verifyDigest(ED25519PH, publicKey, Buffer.from('abd'), signature)).toBe(false);
    expect(verifyDigest(ED25519PH, publicKey, Buffer.from('abc'), signature.subarray(1))).toBe(false);
  });
});
