/**
 * Sign / Verify with MessageType DIGEST: the caller hashed the message already, and
 * node:crypto's sign()/verify() always hash, so the digest goes to lower-level primitives.
 *
 * ECDSA (FIPS 186-5 §6.4) is entirely @noble/curves (audited; scalar multiplication designed
 * to be constant-time, RFC 6979 nonces hedged with fresh randomness, DER in and out), called with
 * `prehash: false` on the caller's digest. kmsd only converts node:crypto's JWK export of the
 * key (`d`, `x`, `y`) into the library's raw scalar / uncompressed point. Verification uses
 * only the public key.
 *
 * RSA: the private/public-key operation is OpenSSL's raw RSA primitive through node:crypto
 * (privateEncrypt / publicDecrypt); kmsd does only the standard message encoding around it:
 * PKCS#1 v1.5 as DigestInfo ‖ digest (OpenSSL adds the type-1 padding and checks it on
 * verify), PSS as EMSA-PSS-ENCODE / -VERIFY (RFC 8017 §9.1, MGF1 with the same hash,
 * salt = hash length) with no OpenSSL padding. Verification uses only the public key.
 */
import { constants, createHash, privateEncrypt, publicDecrypt, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { UnsupportedOperationException } from '../generated/kms.js';
import type { SigningScheme } from './asymmetric.js';

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1). */
const DIGEST_INFO: Record<string, Buffer> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

export function signDigest(scheme: SigningScheme, privateKey: KeyObject, digest: Buffer): Buffer {
  if (scheme.kind === 'ecdsa') return ecdsaSign(privateKey, digest);
  if (scheme.kind === 'ed25519ph') return ed25519phSign(privateKey, digest);
  const hash = rsaHash(scheme);
  if (scheme.kind === 'pkcs1') {
    return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([DIGEST_INFO[hash], digest]));
  }
  const modBits = modulusBits(privateKey);
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, pssEncode(hash, digest, modBits - 1));
}

export function verifyDigest(scheme: SigningScheme, publicKey: KeyObject, digest: Buffer, signature: Buffer): boolean {
  if (scheme.kind === 'ecdsa') return ecdsaVerify(publicKey, digest, signature);
  if (scheme.kind === 'ed25519ph') return ed25519phVerify(publicKey, digest, signature);
  const hash = rsaHash(scheme);
  const modBits = modulusBits(publicKey);
  if (signature.length !== Math.ceil(modBits / 8)) return false;
  try {
    if (scheme.kind === 'pkcs1') {
      const expected = Buffer.concat([DIGEST_INFO[hash], digest]);
      const got = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
      return got.length === expected.length && timingSafeEqual(got, expected);
    }
    const em = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature);
    return pssVerify(hash, digest, em, modBits - 1);
  } catch {
    return false;
  }
}

function rsaHash(scheme: SigningScheme): 'sha256' | 'sha384' | 'sha512' {
  if ((scheme.kind !== 'pss' && scheme.kind !== 'pkcs1') || scheme.hash === null) {
    throw new UnsupportedOperationException('kmsd supports MessageType DIGEST only with RSA and ECDSA signing algorithms.');
  }
  return scheme.hash;
}

function modulusBits(key: KeyObject): number {
  return key.asymmetricKeyDetails?.modulusLength ?? 0;
}

function mgf1(hash: string, seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  for (let counter = 0, done = 0; done < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(c).digest();
    out.push(block);
    done += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** EMSA-PSS-ENCODE with sLen = hLen. */
function pssEncode(hash: string, mHash: Buffer, emBits: number): Buffer {
  const hLen = mHash.length;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(hLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= 0xff >> (8 * emLen - emBits);
  return Buffer.concat([Buffer.alloc(Math.ceil((emBits + 1) / 8) - emLen), db, h, Buffer.from([0xbc])]);
}

/** EMSA-PSS-VERIFY with sLen = hLen; `em` is the full modulus-length block. */
function pssVerify(hash: string, mHash: Buffer, block: Buffer, emBits: number): boolean {
  const hLen = mHash.length;
  const emLen = Math.ceil(emBits / 8);
  const em = block.subarray(block.length - emLen);
  if (block.length - emLen > 0 && block[0] !== 0) return false;
  if (em[emLen - 1] !== 0xbc) return false;
  const db = Buffer.from(em.subarray(0, emLen - hLen - 1));
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  if ((db[0] & ~(0xff >> (8 * emLen - emBits))) !== 0) return false;
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= 0xff >> (8 * emLen - emBits);
  const psLen = emLen - 2 * hLen - 2;
  if (!db.subarray(0, psLen).every((b) => b === 0) || db[psLen] !== 1) return false;
  const salt = db.subarray(psLen + 1);
  const expected = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  return timingSafeEqual(expected, h);
}

/** The @noble/curves ECDSA implementation for each curve KMS offers, by OpenSSL curve name. */
const CURVES = { prime256v1: p256, secp384r1: p384, secp521r1: p521, secp256k1 } as const;

function curveOf(key: KeyObject): (typeof CURVES)[keyof typeof CURVES] {
  const name = key.asymmetricKeyDetails?.namedCurve ?? '';
  if (!Object.hasOwn(CURVES, name)) {
    throw new UnsupportedOperationException('MessageType DIGEST is not supported by kmsd for this algorithm.');
  }
  return CURVES[name as keyof typeof CURVES];
}

/** A base64url JWK coordinate as exactly `bytes` big-endian bytes (left-padded). */
function jwkBytes(value: string | undefined, bytes: number): Buffer {
  const raw = Buffer.from(value ?? '', 'base64url');
  if (raw.length === 0 || raw.length > bytes) throw new Error('EC key export did not yield a usable JWK');
  return raw.length === bytes ? raw : Buffer.concat([Buffer.alloc(bytes - raw.length), raw]);
}

/**
 * Options shared by sign and verify. `prehash: false`: the message is the caller's digest
 * (every KMS curve/hash pair has a hash no longer than the group order, so nothing is
 * truncated). `lowS: false`: KMS, like OpenSSL, neither normalises s when signing nor rejects
 * a valid high-s signature when verifying (noble's default would, for every curve).
 */
const ECDSA_OPTIONS = { prehash: false, lowS: false, format: 'der' } as const;

function ecdsaSign(privateKey: KeyObject, digest: Buffer): Buffer {
  const curve = curveOf(privateKey);
  const secret = jwkBytes(privateKey.export({ format: 'jwk' }).d, curve.Point.Fn.BYTES);
  try {
    // extraEntropy: hedged RFC 6979 nonces; KMS signatures are not deterministic either.
    return Buffer.from(curve.sign(digest, secret, { ...ECDSA_OPTIONS, extraEntropy: true }));
  } finally {
    secret.fill(0);
  }
}

function ecdsaVerify(publicKey: KeyObject, digest: Buffer, signature: Buffer): boolean {
  const curve = curveOf(publicKey);
  const { x, y } = publicKey.export({ format: 'jwk' });
  const size = curve.Point.Fp.BYTES;
  const point = Buffer.concat([Buffer.from([4]), jwkBytes(x, size), jwkBytes(y, size)]);
  try {
    return curve.verify(signature, digest, point, ECDSA_OPTIONS);
  } catch {
    return false; // malformed DER: simply not a valid signature
  }
}

/**
 * ED25519_PH_SHA_512 (HashEdDSA, RFC 8032 §5.1 Ed25519ph, empty context), through @noble/curves:
 * node:crypto's Ed25519 is pure EdDSA only. AWS takes this algorithm only with MessageType
 * DIGEST and still applies the SHA-512 prehash of FIPS 186-5 §7.8.1 step 1 to that digest, so
 * the 64-byte digest is the message M that Ed25519ph hashes again.
 */
function ed25519phSign(privateKey: KeyObject, digest: Buffer): Buffer {
  const seed = jwkBytes(privateKey.export({ format: 'jwk' }).d, 32);
  try {
    return Buffer.from(ed25519ph.sign(digest, seed));
  } finally {
    seed.fill(0);
  }
}

function ed25519phVerify(publicKey: KeyObject, digest: Buffer, signature: Buffer): boolean {
  try {
    return ed25519ph.verify(signature, digest, jwkBytes(publicKey.export({ format: 'jwk' }).x, 32));
  } catch {
    return false; // a signature of the wrong length is simply not valid
  }
}
