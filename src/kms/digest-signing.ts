/**
 * Sign / Verify with MessageType DIGEST: the caller hashed the message already, and
 * node:crypto's sign() always hashes. RSA signatures over a given digest are built from the
 * raw RSA primitive: PKCS#1 v1.5 as DigestInfo ‖ digest with PKCS#1 type-1 padding, PSS as
 * EMSA-PSS (RFC 8017 §9.1, MGF1 with the same hash, salt = hash length) with no padding.
 * ECDSA over a given digest (FIPS 186-5 §6.4) is computed here with BigInt arithmetic modulo
 * the group order, the scalar multiples of the generator coming from node:crypto's ECDH.
 * Verification uses the private key kmsd holds: u1·G + u2·Q = (u1 + u2·d)·G, so it needs
 * no point addition.
 */
import { constants, createECDH, createHash, privateEncrypt, publicDecrypt, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
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
  const hash = rsaHash(scheme);
  if (scheme.kind === 'pkcs1') {
    return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([DIGEST_INFO[hash], digest]));
  }
  const modBits = modulusBits(privateKey);
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, pssEncode(hash, digest, modBits - 1));
}

/** `privateKey` is needed (and only read) for ECDSA; see the module comment. */
export async function verifyDigest(
  scheme: SigningScheme,
  publicKey: KeyObject,
  privateKey: () => Promise<KeyObject>,
  digest: Buffer,
  signature: Buffer,
): Promise<boolean> {
  if (scheme.kind === 'ecdsa') return ecdsaVerify(await privateKey(), digest, signature);
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
    throw new UnsupportedOperationException(
      'kmsd supports MessageType DIGEST only with RSA signing algorithms (node:crypto cannot sign a given digest with ECDSA).',
    );
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

/** Group orders n of the ECDSA curves (SEC 2, FIPS 186-5); byte length = the field's. */
const EC_ORDERS: Record<string, { n: bigint; bytes: number }> = {
  prime256v1: { n: BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'), bytes: 32 },
  secp384r1: {
    n: BigInt('0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'),
    bytes: 48,
  },
  secp521r1: {
    n: BigInt(`0x01${'ff'.repeat(32)}fa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409`),
    bytes: 66,
  },
  secp256k1: { n: BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141'), bytes: 32 },
};

function curveOf(key: KeyObject): { curve: string; n: bigint; bytes: number } {
  const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
  const order = EC_ORDERS[curve];
  if (!order) throw new UnsupportedOperationException(`MessageType DIGEST is not supported by kmsd for this algorithm.`);
  return { curve, ...order };
}

function toBig(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`);
}

function toBytes(v: bigint, bytes: number): Buffer {
  return Buffer.from(v.toString(16).padStart(bytes * 2, '0'), 'hex');
}

function modInverse(a: bigint, n: bigint): bigint {
  let [r0, r1, t0, t1] = [n, ((a % n) + n) % n, 0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return ((t0 % n) + n) % n;
}

/** The x coordinate of k·G, as an integer. */
function xOfMultiple(curve: string, k: bigint, bytes: number): bigint {
  const ecdh = createECDH(curve);
  ecdh.setPrivateKey(toBytes(k, bytes));
  const point = ecdh.getPublicKey(); // 04 ‖ x ‖ y
  return toBig(point.subarray(1, 1 + (point.length - 1) / 2));
}

function privateScalar(privateKey: KeyObject): bigint {
  const jwk = privateKey.export({ format: 'jwk' });
  return toBig(Buffer.from(jwk.d ?? '', 'base64url'));
}

/**
 * z is the digest as an integer: for every curve/hash pair KMS offers, the hash is no longer
 * than the group order, so no truncation applies.
 */
function ecdsaSign(privateKey: KeyObject, digest: Buffer): Buffer {
  const { curve, n, bytes } = curveOf(privateKey);
  const d = privateScalar(privateKey);
  const z = toBig(digest);
  for (;;) {
    const k = (toBig(randomBytes(bytes + 16)) % (n - 1n)) + 1n;
    const r = xOfMultiple(curve, k, bytes) % n;
    if (r === 0n) continue;
    const s = (modInverse(k, n) * ((z + r * d) % n)) % n;
    if (s === 0n) continue;
    return derSignature(r, s);
  }
}

function ecdsaVerify(privateKey: KeyObject, digest: Buffer, signature: Buffer): boolean {
  const { curve, n, bytes } = curveOf(privateKey);
  const rs = parseDerSignature(signature);
  if (!rs) return false;
  const [r, s] = rs;
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  const w = modInverse(s, n);
  const u1 = (toBig(digest) * w) % n;
  const u2 = (r * w) % n;
  const t = (u1 + u2 * privateScalar(privateKey)) % n;
  return t !== 0n && xOfMultiple(curve, t, bytes) % n === r;
}

function derInteger(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let b = Buffer.from(hex, 'hex');
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return Buffer.concat([Buffer.from([0x02, b.length]), b]);
}

function derLength(n: number): Buffer {
  return n < 0x80 ? Buffer.from([n]) : Buffer.from([0x81, n]);
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }, the DER form KMS returns. */
function derSignature(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}

function parseDerSignature(sig: Buffer): [bigint, bigint] | undefined {
  let i = 0;
  const readLength = (): number | undefined => {
    const first = sig[i++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    if (first !== 0x81) return undefined;
    return sig[i++];
  };
  if (sig[i++] !== 0x30) return undefined;
  const total = readLength();
  if (total === undefined || i + total !== sig.length) return undefined;
  const ints: bigint[] = [];
  for (let k = 0; k < 2; k++) {
    if (sig[i++] !== 0x02) return undefined;
    const len = readLength();
    if (len === undefined || len === 0 || i + len > sig.length) return undefined;
    ints.push(toBig(sig.subarray(i, i + len)));
    i += len;
  }
  return i === sig.length ? [ints[0], ints[1]] : undefined;
}
