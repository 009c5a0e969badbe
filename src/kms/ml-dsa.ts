/**
 * ML-DSA keys (FIPS 204; KMS key specs ML_DSA_44/65/87, signing algorithm ML_DSA_SHAKE_256).
 * The lattice arithmetic is @noble/post-quantum (audited, no native code); node:crypto on
 * Node 20 has no ML-DSA. kmsd only does the key encodings of RFC 9881, whose sizes are fixed
 * per parameter set, so each is a constant DER prefix followed by the key bytes:
 *
 * - the private key is stored as PKCS#8 in RFC 9881's seed-only form (the 32-byte seed ξ from
 *   which FIPS 204 ML-DSA.KeyGen_internal expands both keys); the expanded secret key exists
 *   only for the duration of one Sign;
 * - GetPublicKey returns the SubjectPublicKeyInfo with id-ml-dsa-44/65/87
 *   (2.16.840.1.101.3.4.3.17/18/19, no parameters) and the raw FIPS 204 public key.
 *
 * Signing is pure ML-DSA with an empty context string (MessageType RAW), or
 * ML-DSA.Sign_internal on a caller-computed μ (MessageType EXTERNAL_MU, FIPS 204 §6.2 step 6:
 * μ = SHAKE256(tr ‖ M′, 64)). Signatures are hedged: fresh randomness per signature.
 */
import { randomBytes } from 'node:crypto';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import type { MessageType } from '../generated/kms.js';
import type { MlDsaKeySpec } from './key-specs.js';

const SEED_BYTES = 32;
/** FIPS 204 §6.2: the external message representative μ is 64 bytes. */
export const MU_BYTES = 64;

const PARAMETER_SETS = {
  ML_DSA_44: { dsa: ml_dsa44, oidLastArc: 0x11 },
  ML_DSA_65: { dsa: ml_dsa65, oidLastArc: 0x12 },
  ML_DSA_87: { dsa: ml_dsa87, oidLastArc: 0x13 },
} as const;

/** AlgorithmIdentifier { id-ml-dsa-*, parameters absent } (RFC 9881 §2). */
function algorithmIdentifier(spec: MlDsaKeySpec): Buffer {
  return Buffer.concat([Buffer.from('300b06096086480165030403', 'hex'), Buffer.from([PARAMETER_SETS[spec].oidLastArc])]);
}

/** A DER tag with a two-byte long-form length (every ML-DSA public key needs one). */
function derHeader(tag: number, length: number): Buffer {
  return Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
}

function spkiOf(spec: MlDsaKeySpec, publicKey: Uint8Array): Buffer {
  const bitString = Buffer.concat([derHeader(0x03, publicKey.length + 1), Buffer.from([0]), publicKey]);
  const body = Buffer.concat([algorithmIdentifier(spec), bitString]);
  return Buffer.concat([derHeader(0x30, body.length), body]);
}

/** PrivateKeyInfo { version 0, algorithm, privateKey OCTET STRING { seed [0] IMPLICIT OCTET STRING } }. */
function pkcs8Prefix(spec: MlDsaKeySpec): Buffer {
  return Buffer.concat([Buffer.from('3034020100', 'hex'), algorithmIdentifier(spec), Buffer.from('04228020', 'hex')]);
}

/**
 * A new key: the seed-form PKCS#8 to store (wrapped) and the SPKI for the key row. The seed is
 * a parameter only so that tests can check RFC 9881's published example keys.
 */
export function newMlDsaKey(spec: MlDsaKeySpec, seed: Buffer = randomBytes(SEED_BYTES)): { pkcs8: Buffer; spki: Buffer } {
  const { publicKey, secretKey } = PARAMETER_SETS[spec].dsa.keygen(seed);
  secretKey.fill(0);
  const pkcs8 = Buffer.concat([pkcs8Prefix(spec), seed]);
  seed.fill(0);
  return { pkcs8, spki: spkiOf(spec, publicKey) };
}

/** The public key bytes inside the SPKI kmsd wrote (fixed prefix, so a plain slice). */
function rawPublicKey(spec: MlDsaKeySpec, spki: Buffer): Uint8Array {
  const prefixLength = 4 + algorithmIdentifier(spec).length + 4 + 1;
  return spki.subarray(prefixLength);
}

export function mlDsaSign(spec: MlDsaKeySpec, pkcs8: Buffer, messageType: MessageType, message: Buffer): Buffer {
  const prefix = pkcs8Prefix(spec);
  if (pkcs8.length !== prefix.length + SEED_BYTES || !pkcs8.subarray(0, prefix.length).equals(prefix)) {
    throw new Error(`stored ${spec} private key is not in the expected PKCS#8 seed form`);
  }
  const { dsa } = PARAMETER_SETS[spec];
  const { secretKey } = dsa.keygen(pkcs8.subarray(prefix.length));
  try {
    const signature =
      messageType === 'EXTERNAL_MU' ? dsa.internal.sign(message, secretKey, { externalMu: true }) : dsa.sign(message, secretKey);
    return Buffer.from(signature);
  } finally {
    secretKey.fill(0);
  }
}

export function mlDsaVerify(spec: MlDsaKeySpec, spki: Buffer, messageType: MessageType, message: Buffer, signature: Buffer): boolean {
  const { dsa } = PARAMETER_SETS[spec];
  const publicKey = rawPublicKey(spec, spki);
  try {
    return messageType === 'EXTERNAL_MU'
      ? dsa.internal.verify(signature, message, publicKey, { externalMu: true })
      : dsa.verify(signature, message, publicKey);
  } catch {
    return false; // a signature of the wrong length is simply not valid
  }
}
