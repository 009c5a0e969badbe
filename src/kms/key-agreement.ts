/**
 * Key agreement (KeyUsage KEY_AGREEMENT, DeriveSharedSecret with ECDH): the Elliptic Curve
 * Cryptography Cofactor Diffie-Hellman primitive of NIST SP 800-56A §5.7.1.2 between the KMS
 * key's private key and the peer's public key. As AWS, kmsd returns the raw shared secret Z,
 * the x-coordinate of the shared point (field-size bytes, no KDF applied); the NIST curves
 * have cofactor 1, so this is exactly what OpenSSL's and node:crypto's ECDH compute.
 */
import { createPublicKey, diffieHellman } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ValidationException } from '../core/service-error.js';
import type { KmsContext } from './context.js';
import type { KeyRow } from './keys.js';
import { privateKeyOf, publicKeyOf } from './asymmetric.js';

/**
 * The peer's public key: a DER SubjectPublicKeyInfo of an EC key on the KMS key's own curve.
 * OpenSSL refuses a point that is not on its curve while parsing, so an invalid-curve point is
 * refused here too. AWS answers a public key it cannot parse with a ValidationException that
 * has no message text (recorded from AWS KMS); for a valid key on another curve its answer is
 * not recorded, and kmsd names the mismatch.
 */
export function peerPublicKey(key: KeyRow, spki: Buffer): KeyObject {
  let peer: KeyObject;
  try {
    peer = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    throw new ValidationException('');
  }
  const ours = publicKeyOf(key).asymmetricKeyDetails?.namedCurve;
  const theirs = peer.asymmetricKeyType === 'ec' ? peer.asymmetricKeyDetails?.namedCurve : undefined;
  if (ours === undefined || theirs !== ours) {
    throw new ValidationException(`The public key must be on the same elliptic curve as ${key.keySpec}.`);
  }
  return peer;
}

export async function ecdhSharedSecret(ctx: KmsContext, key: KeyRow, peer: KeyObject): Promise<Buffer> {
  return diffieHellman({ privateKey: await privateKeyOf(ctx, key), publicKey: peer });
}
