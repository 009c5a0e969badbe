/**
 * SM2 keys (KeySpec SM2, China Regions only): SM2DSA signing (GB/T 32918.2), SM2PKE encryption
 * (GB/T 32918.4) and ECDH key agreement (key-agreement.ts, through node:crypto's OpenSSL).
 *
 * node:crypto generates the key pair (OpenSSL's SM2 curve) and computes ECDH, but it signs
 * with an SM2-curve key as plain ECDSA and cannot encrypt with one, so SM2DSA and SM2PKE come
 * from sm-crypto-v2 (maintained, built on @noble/curves and @noble/hashes). kmsd adds the checks
 * that library leaves to its caller: the ciphertext's C1 point must be on the curve (else a
 * Decrypt oracle could leak the private key through an invalid-curve point), and a signature
 * must be strict DER with r and s in [1, n−1] (else a second encoding of one signature would
 * verify).
 *
 * What AWS documents ("Offline verification/encryption with SM2 key pairs"):
 * - SM2DSA: the distinguishing ID is the default `1234567812345678`; MessageType RAW signs
 *   e = SM3(Z_A ‖ M), MessageType DIGEST signs the caller's 32-byte e; DER (r, s) signatures.
 * - SM2PKE: the ciphertext is the ASN.1 form of GM/T 0009 (C1 x, C1 y, C3, C2), at most 1024
 *   bytes of plaintext.
 */
import { createPublicKey } from 'node:crypto';
import { DER } from '@noble/curves/abstract/weierstrass.js';
import { sm2 } from 'sm-crypto-v2';
import type { MessageType } from '../generated/kms.js';

/** The Regions where AWS KMS offers SM2 keys (Beijing and Ningxia). */
const SM2_REGIONS = new Set(['cn-north-1', 'cn-northwest-1']);

export function isSm2Region(region: string): boolean {
  return SM2_REGIONS.has(region);
}

/** SM2DSA digests and SM3 hashes are 32 bytes. */
export const SM3_BYTES = 32;
/** AWS's SM2PKE plaintext limit. */
export const SM2PKE_MAX_PLAINTEXT = 1024;

/** The order n of the SM2 recommended curve's base point (GB/T 32918.5). */
const SM2_N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');

/** SubjectPublicKeyInfo up to the point: id-ecPublicKey, named curve sm2 (1.2.156.10197.1.301). */
const SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d034200', 'hex');
/** PKCS#8 of an SM2 key as OpenSSL writes it, up to the 32-byte private scalar (RFC 5915). */
const PKCS8_PREFIX = Buffer.from('308187020100301306072a8648ce3d020106082a811ccf5501822d046d306b0201010420', 'hex');

/** Whether the SubjectPublicKeyInfo is an SM2-curve key with an uncompressed point (the form KMS uses). */
export function isSm2Spki(spki: Buffer): boolean {
  return spki.length === SPKI_PREFIX.length + 65 && spki.subarray(0, SPKI_PREFIX.length).equals(SPKI_PREFIX);
}

/** The uncompressed point 04 ‖ x ‖ y of an SM2 SPKI, as hex (the library's key format). */
function publicKeyHex(spki: Buffer): string {
  if (!isSm2Spki(spki)) throw new Error('not an uncompressed SM2 SubjectPublicKeyInfo');
  return spki.subarray(SPKI_PREFIX.length).toString('hex');
}

function privateKeyHex(pkcs8: Buffer): string {
  if (pkcs8.length < PKCS8_PREFIX.length + 32 || !pkcs8.subarray(0, PKCS8_PREFIX.length).equals(PKCS8_PREFIX)) {
    throw new Error('stored SM2 private key is not in the expected PKCS#8 form');
  }
  return pkcs8.subarray(PKCS8_PREFIX.length, PKCS8_PREFIX.length + 32).toString('hex');
}

export function sm2Sign(pkcs8: Buffer, spki: Buffer, messageType: MessageType, message: Buffer): Buffer {
  const signature = sm2.doSignature(message, privateKeyHex(pkcs8), {
    der: true,
    hash: messageType === 'RAW',
    publicKey: publicKeyHex(spki),
  });
  return Buffer.from(signature, 'hex');
}

export function sm2Verify(spki: Buffer, messageType: MessageType, message: Buffer, signature: Buffer): boolean {
  try {
    const { r, s } = DER.toSig(signature); // strict DER, nothing after it
    if (r < 1n || r >= SM2_N || s < 1n || s >= SM2_N) return false;
    return sm2.doVerifySignature(message, signature.toString('hex'), publicKeyHex(spki), { der: true, hash: messageType === 'RAW' });
  } catch {
    return false; // malformed DER: simply not a valid signature
  }
}

/**
 * ECDH on the SM2 curve: the x-coordinate of d·Q. node:crypto parses SM2 keys as OpenSSL's SM2
 * type, for which it offers no Diffie-Hellman; the library validates the peer point.
 */
export function sm2SharedSecret(pkcs8: Buffer, peerSpki: Buffer): Buffer {
  const compressedPoint = sm2.ecdh(privateKeyHex(pkcs8), publicKeyHex(peerSpki));
  return Buffer.from(compressedPoint.subarray(1));
}

/** SM2PKE (C1C3C2, ASN.1) to the key's public key. */
export function sm2Encrypt(spki: Buffer, plaintext: Buffer): Buffer {
  return Buffer.from(sm2.doEncrypt(plaintext, publicKeyHex(spki), 1, { asn1: true }), 'hex');
}

/**
 * SM2PKE decryption; undefined when the ciphertext is malformed, its C1 is not a point of the
 * curve, or its C3 hash does not match (the caller answers InvalidCiphertextException).
 */
export function sm2Decrypt(pkcs8: Buffer, ciphertext: Buffer): Buffer | undefined {
  try {
    const sequence = DER._tlv.decode(0x30, ciphertext);
    if (sequence.l.length !== 0) return undefined;
    const x = DER._tlv.decode(0x02, sequence.v);
    const y = DER._tlv.decode(0x02, x.l);
    const c3 = DER._tlv.decode(0x04, y.l);
    const c2 = DER._tlv.decode(0x04, c3.l);
    if (c2.l.length !== 0 || c3.v.length !== SM3_BYTES || c2.v.length === 0) return undefined;
    if (!isSm2Point(coordinate(x.v), coordinate(y.v))) return undefined;
    const plaintext = sm2.doDecrypt(ciphertext.toString('hex'), privateKeyHex(pkcs8), 1, { output: 'array', asn1: true });
    return plaintext.length === 0 ? undefined : Buffer.from(plaintext);
  } catch {
    return undefined;
  }
}

/**
 * Whether (x, y) is a point of the SM2 curve (cofactor 1, so every such point is in the
 * group): OpenSSL refuses any other point when it parses a public key.
 */
export function isSm2Point(x: Buffer, y: Buffer): boolean {
  try {
    createPublicKey({ key: Buffer.concat([SPKI_PREFIX, Buffer.from([4]), x, y]), format: 'der', type: 'spki' });
    return true;
  } catch {
    return false;
  }
}

/** A DER INTEGER's content as a 32-byte field element (at most one leading zero byte). */
function coordinate(integer: Uint8Array): Buffer {
  const bytes = integer.length === 33 && integer[0] === 0 ? integer.subarray(1) : integer;
  if (bytes.length > 32 || bytes.length === 0) throw new Error('coordinate out of range');
  return Buffer.concat([Buffer.alloc(32 - bytes.length), bytes]);
}
