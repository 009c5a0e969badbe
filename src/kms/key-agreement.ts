/**
 * Key agreement (KeyUsage KEY_AGREEMENT, DeriveSharedSecret with ECDH): the Elliptic Curve
 * Cryptography Cofactor Diffie-Hellman primitive of NIST SP 800-56A §5.7.1.2 between the KMS
 * key's private key and the peer's public key. As AWS, kmsd returns the raw shared secret Z,
 * the x-coordinate of the shared point (field-size bytes, no KDF applied); the NIST curves and
 * SM2 have cofactor 1, so this is exactly what OpenSSL's and node:crypto's ECDH compute.
 */
import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ValidationException } from '../core/service-error.js';
import type { KmsContext } from './context.js';
import type { KeyRow } from './keys.js';
import { privateKeyOf, publicKeyOf, withPrivateKeyDer } from './asymmetric.js';
import { isSm2Spki } from './sm2.js';
import { offload } from './crypto-offload.js';

/**
 * Checks the peer's public key: a DER SubjectPublicKeyInfo of an EC key on the KMS key's own
 * curve. OpenSSL refuses a point that is not on its curve while parsing, so an invalid-curve
 * point is refused here too. AWS answers a public key it cannot parse with a ValidationException
 * that has no message text (recorded from AWS KMS); for a valid key on another curve its answer
 * is not recorded, and kmsd names the mismatch.
 */
export function assertPeerPublicKey(key: KeyRow, spki: Buffer): void {
  let peer: KeyObject;
  try {
    peer = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    throw new ValidationException('');
  }
  // OpenSSL parses SM2-curve keys as its own SM2 key type, which node:crypto does not name.
  const sameCurve =
    key.keySpec === 'SM2'
      ? isSm2Spki(spki)
      : peer.asymmetricKeyType === 'ec' && peer.asymmetricKeyDetails?.namedCurve === publicKeyOf(key).asymmetricKeyDetails?.namedCurve;
  if (!sameCurve) {
    throw new ValidationException(`The public key must be on the same elliptic curve as ${key.keySpec}.`);
  }
}

/**
 * ECDH with a peer public key that assertPeerPublicKey accepted, in kmsd's worker threads
 * (crypto-offload.ts): SM2's is pure JavaScript, and node:crypto's has no asynchronous form.
 */
export async function ecdhSharedSecret(ctx: KmsContext, key: KeyRow, peerSpki: Buffer): Promise<Buffer> {
  if (key.keySpec === 'SM2') return withPrivateKeyDer(ctx, key, (der) => offload('sm2SharedSecret', der, peerSpki));
  return offload('ecdh', await privateKeyOf(ctx, key), createPublicKey({ key: peerSpki, format: 'der', type: 'spki' }));
}
