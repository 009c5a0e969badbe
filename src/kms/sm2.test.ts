import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSm2Point, sm2Decrypt, sm2Encrypt, sm2Sign, sm2Verify } from './sm2.js';

/**
 * Published SM2 vectors on the recommended curve: OpenSSL's test/recipes/30-test_evp_data/
 * evppkey_sm2.txt (key "SM2_key1", digest verifications, one SM2PKE decryption). GB/T 32918's
 * own worked examples use a different, test-only curve, which no SM2 library for the
 * recommended curve can run.
 */
const KEY1_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQg0JFWczAXva2An9m7
2MaT9gIwWTFptvlKrxyO4TjMmbWhRANCAAQ5OirZ4n5DrKqrhaGdO4VZHhRAYVcX
Wt3Te/d/8Mr57Tf886i09VwDhSMmH8pmNq/mp6+ioUgqYG9cs6GLLioe
-----END PRIVATE KEY-----`;
const KEY1 = createPrivateKey(KEY1_PEM);
const KEY1_PKCS8 = KEY1.export({ format: 'der', type: 'pkcs8' });
const KEY1_SPKI = createPublicKey(KEY1).export({ format: 'der', type: 'spki' });

const DIGEST_VECTORS = [
  {
    e: 'D7AD397F6FFA5D4F7F11E7217F241607DC30618C236D2C09C1B9EA8FDADEE2E8',
    signature:
      '3046022100AB1DB64DE7C40EDBDE6651C9B8EBDB804673DB836E5D5C7FE15DCF9ED2725037022100EBA714451FF69B0BB930B379E192E7CD5FA6E3C41C7FBD8303B799AB54A54621',
  },
  {
    e: 'B1139602C6ECC9E15E2F3F9C635A1AFE737058BC15387479C1EA0D0B3D90E9E5',
    signature:
      '3045022100E6E0414EBD3A656C35602AF14AB20287DBF30D57AF75C49A188ED4B42391F22402202F54F277C606F4605E1CE9514947FFDDF94C67A539804A4ED17F852288BDBE2E',
  },
];
const DECRYPT_VECTOR = {
  ciphertext:
    '30818A0220466BE2EF5C11782EC77864A0055417F407A5AFC11D653C6BCE69E417BB1D05B6022062B572E21FF0DDF5C726BD3F9FF2EAE56E6294713A607E9B9525628965F62CC804203C1B5713B5DB2728EB7BF775E44F4689FC32668BDC564F52EA45B09E8DF2A5F40422084A9D0CC2997092B7D3C404FCE95956EB604D732B2307A8E5B8900ED6608CA5B197',
  plaintext: 'The floofy bunnies hop at midnight',
};

// The SM2 recommended curve (GB/T 32918.5).
const P = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF');
const A = P - 3n;
const N = BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123');
const SM2_B = BigInt('0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93');

describe('SM2DSA', () => {
  it.each(DIGEST_VECTORS)('verifies the published signature over digest $e', ({ e, signature }) => {
    expect(sm2Verify(KEY1_SPKI, 'DIGEST', Buffer.from(e, 'hex'), Buffer.from(signature, 'hex'))).toBe(true);
    const otherDigest = Buffer.from(e, 'hex');
    otherDigest[0] ^= 1;
    expect(sm2Verify(KEY1_SPKI, 'DIGEST', otherDigest, Buffer.from(signature, 'hex'))).toBe(false);
  });

  it('RAW signs SM3(Z ‖ M) with the default ID 1234567812345678; DIGEST signs the given e', () => {
    const message = Buffer.from('abc');
    const z = zOf(KEY1_SPKI, Buffer.from('1234567812345678'));
    const e = createHash('sm3').update(z).update(message).digest();
    const raw = sm2Sign(KEY1_PKCS8, KEY1_SPKI, 'RAW', message);
    expect(sm2Verify(KEY1_SPKI, 'DIGEST', e, raw)).toBe(true);
    expect(sm2Verify(KEY1_SPKI, 'RAW', message, raw)).toBe(true);
    const fromDigest = sm2Sign(KEY1_PKCS8, KEY1_SPKI, 'DIGEST', e);
    expect(sm2Verify(KEY1_SPKI, 'RAW', message, fromDigest)).toBe(true);
  });

  it('refuses a second encoding of a valid signature (s + n) and trailing bytes', () => {
    const e = Buffer.from(DIGEST_VECTORS[0].e, 'hex');
    const { r, s } = parseSignature(Buffer.from(DIGEST_VECTORS[0].signature, 'hex'));
    expect(sm2Verify(KEY1_SPKI, 'DIGEST', e, derSignature(r, s))).toBe(true);
    expect(sm2Verify(KEY1_SPKI, 'DIGEST', e, derSignature(r, s + N))).toBe(false);
    expect(sm2Verify(KEY1_SPKI, 'DIGEST', e, Buffer.concat([derSignature(r, s), Buffer.from([0])]))).toBe(false);
  });
});

describe('SM2PKE', () => {
  it('decrypts the published ciphertext', () => {
    expect(sm2Decrypt(KEY1_PKCS8, Buffer.from(DECRYPT_VECTOR.ciphertext, 'hex'))?.toString()).toBe(DECRYPT_VECTOR.plaintext);
  });

  it('round-trips with a fresh node:crypto SM2 key; a changed byte anywhere is refused', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'SM2' });
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
    const plaintext = Buffer.alloc(1024, 7);
    const ciphertext = sm2Encrypt(publicKey.export({ format: 'der', type: 'spki' }), plaintext);
    expect(sm2Decrypt(pkcs8, ciphertext)).toEqual(plaintext);
    for (const at of [10, 50, 80, ciphertext.length - 1]) {
      const tampered = Buffer.from(ciphertext);
      tampered[at] ^= 1;
      expect(sm2Decrypt(pkcs8, tampered)).toBeUndefined();
    }
    expect(sm2Decrypt(pkcs8, Buffer.from('not DER'))).toBeUndefined();
  });

  it('checks that C1 is on the curve: an invalid-curve point must never reach the private key', () => {
    const onCurve = pointWithB(SM2_B);
    const offCurve = pointWithB(SM2_B + 1n);
    expect(isSm2Point(bytes32(onCurve.x), bytes32(onCurve.y))).toBe(true);
    expect(isSm2Point(bytes32(offCurve.x), bytes32(offCurve.y))).toBe(false);
    expect(isSm2Point(bytes32(onCurve.x), bytes32(P - onCurve.y))).toBe(true);
    expect(isSm2Point(bytes32(onCurve.x), bytes32(onCurve.y + 1n))).toBe(false);
  });

  it('refuses a ciphertext whose C1 is off the curve, with a C3 made for it', () => {
    const message = Buffer.from('oracle probe');
    // The same construction on the real curve decrypts, so the ciphertexts are well made.
    expect(sm2Decrypt(KEY1_PKCS8, ciphertextFor(pointWithB(SM2_B), message))?.toString()).toBe('oracle probe');
    // A point of y² = x³ + ax + b′ with another b′; C2 and C3 use [d]C1 computed on that curve.
    expect(sm2Decrypt(KEY1_PKCS8, ciphertextFor(pointWithB(SM2_B + 1n), message))).toBeUndefined();
  });
});

// Small helpers for building inputs (bigint affine arithmetic, DER, SM3 KDF).

function mod(v: bigint): bigint {
  return ((v % P) + P) % P;
}

function pow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  for (let b = mod(base), e = exponent; e > 0n; e >>= 1n, b = mod(b * b)) if (e & 1n) result = mod(result * b);
  return result;
}

type Point = { x: bigint; y: bigint } | null;

function add(p: Point, q: Point): Point {
  if (p === null) return q;
  if (q === null) return p;
  if (p.x === q.x && mod(p.y + q.y) === 0n) return null;
  const l = p.x === q.x ? mod((3n * p.x * p.x + A) * pow(2n * p.y, P - 2n)) : mod((q.y - p.y) * pow(q.x - p.x, P - 2n));
  const x = mod(l * l - p.x - q.x);
  return { x, y: mod(l * (p.x - x) - p.y) };
}

function multiply(k: bigint, point: { x: bigint; y: bigint }): { x: bigint; y: bigint } {
  let result: Point = null;
  for (let addend: Point = point, e = k; e > 0n; e >>= 1n, addend = add(addend, addend)) if (e & 1n) result = add(result, addend);
  if (result === null) throw new Error('point at infinity');
  return result;
}

/** The first point with x ≥ 1 of y² = x³ + ax + b (p ≡ 3 mod 4, so y = rhs^((p+1)/4)). */
function pointWithB(b: bigint): { x: bigint; y: bigint } {
  for (let x = 1n; ; x++) {
    const rhs = mod(x ** 3n + A * x + b);
    const y = pow(rhs, (P + 1n) / 4n);
    if (mod(y * y) === rhs) return { x, y };
  }
}

/** An SM2PKE ciphertext (C1C3C2, ASN.1) to SM2_key1 with the given C1 point. */
function ciphertextFor(c1: { x: bigint; y: bigint }, message: Buffer): Buffer {
  const d = BigInt(`0x${KEY1_PKCS8.subarray(KEY1_PKCS8.length - 102, KEY1_PKCS8.length - 70).toString('hex')}`);
  const shared = multiply(d, c1);
  const x2 = bytes32(shared.x);
  const y2 = bytes32(shared.y);
  const stream = kdf(Buffer.concat([x2, y2]), message.length);
  const c2 = Buffer.from(message.map((m, i) => m ^ stream[i]));
  const c3 = createHash('sm3').update(x2).update(message).update(y2).digest();
  return der(0x30, Buffer.concat([derInteger(c1.x), derInteger(c1.y), der(0x04, c3), der(0x04, c2)]));
}

function bytes32(v: bigint): Buffer {
  return Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
}

function kdf(z: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 1; blocks.length * 32 < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash('sm3').update(z).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function der(tag: number, content: Buffer): Buffer {
  const length = content.length < 0x80 ? Buffer.from([content.length]) : Buffer.from([0x81, content.length]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

function derInteger(v: bigint): Buffer {
  const hex = v.toString(16);
  const raw = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  return der(0x02, raw[0] & 0x80 ? Buffer.concat([Buffer.from([0]), raw]) : raw);
}

function derSignature(r: bigint, s: bigint): Buffer {
  return der(0x30, Buffer.concat([derInteger(r), derInteger(s)]));
}

function parseSignature(sig: Buffer): { r: bigint; s: bigint } {
  const rLength = sig[3];
  const r = BigInt(`0x${sig.subarray(4, 4 + rLength).toString('hex')}`);
  const s = BigInt(`0x${sig.subarray(6 + rLength).toString('hex')}`);
  return { r, s };
}

/** Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A) (GB/T 32918.2 §5.5). */
function zOf(spki: Buffer, id: Buffer): Buffer {
  const gx = '32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7';
  const gy = 'BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0';
  const entl = Buffer.alloc(2);
  entl.writeUInt16BE(id.length * 8);
  return createHash('sm3')
    .update(Buffer.concat([entl, id, bytes32(A), bytes32(SM2_B), Buffer.from(gx + gy, 'hex'), spki.subarray(spki.length - 64)]))
    .digest();
}
