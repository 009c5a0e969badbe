/**
 * Asymmetric KMS keys: signing (Sign, Verify), RSA encryption (Encrypt, Decrypt with
 * RSAES_OAEP_*) and the public key (GetPublicKey). The private key is the key's only material
 * version, a PKCS#8 DER blob wrapped under the root key; the public key is in the key row.
 */
import { constants, createPrivateKey, createPublicKey, publicEncrypt, sign, verify, webcrypto } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { EncryptionAlgorithmSpec, KmsOperationName, MessageType, SigningAlgorithmSpec } from '../generated/kms.js';
import { InvalidKeyUsageException } from '../generated/kms.js';
import { ValidationException } from '../core/service-error.js';
import type { KmsContext } from './context.js';
import { assertUsableForCrypto, backendRef, findKey, keyUsageError } from './keys.js';
import type { KeyRow } from './keys.js';
import { algorithmsOf, isMlDsaSpec, isRsaSpec, RSA_BITS } from './key-specs.js';
import type { RsaKeySpec } from './key-specs.js';
import { invalidCiphertext } from './ciphertext.js';
import { MU_BYTES } from './ml-dsa.js';
import { SM2PKE_MAX_PLAINTEXT, SM3_BYTES } from './sm2.js';
import { offload } from './crypto-offload.js';

export interface SigningScheme {
  /** node:crypto hash name, or null for pure Ed25519, ML-DSA and SM2DSA (whose hashing is internal). */
  hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** The length of a DIGEST message, or of ML-DSA's EXTERNAL_MU message. */
  digestBytes: number;
  kind: 'pss' | 'pkcs1' | 'ecdsa' | 'ed25519' | 'ed25519ph' | 'ml-dsa' | 'sm2dsa';
}

const SCHEMES: Partial<Record<SigningAlgorithmSpec, SigningScheme>> = {
  RSASSA_PSS_SHA_256: { hash: 'sha256', digestBytes: 32, kind: 'pss' },
  RSASSA_PSS_SHA_384: { hash: 'sha384', digestBytes: 48, kind: 'pss' },
  RSASSA_PSS_SHA_512: { hash: 'sha512', digestBytes: 64, kind: 'pss' },
  RSASSA_PKCS1_V1_5_SHA_256: { hash: 'sha256', digestBytes: 32, kind: 'pkcs1' },
  RSASSA_PKCS1_V1_5_SHA_384: { hash: 'sha384', digestBytes: 48, kind: 'pkcs1' },
  RSASSA_PKCS1_V1_5_SHA_512: { hash: 'sha512', digestBytes: 64, kind: 'pkcs1' },
  ECDSA_SHA_256: { hash: 'sha256', digestBytes: 32, kind: 'ecdsa' },
  ECDSA_SHA_384: { hash: 'sha384', digestBytes: 48, kind: 'ecdsa' },
  ECDSA_SHA_512: { hash: 'sha512', digestBytes: 64, kind: 'ecdsa' },
  ED25519_SHA_512: { hash: null, digestBytes: 64, kind: 'ed25519' },
  ED25519_PH_SHA_512: { hash: 'sha512', digestBytes: 64, kind: 'ed25519ph' },
  ML_DSA_SHAKE_256: { hash: null, digestBytes: MU_BYTES, kind: 'ml-dsa' },
  SM2DSA: { hash: null, digestBytes: SM3_BYTES, kind: 'sm2dsa' },
};

/** The MessageType values each kind of signature takes, as the model's Sign documentation says. */
const MESSAGE_TYPES: Record<SigningScheme['kind'], MessageType[]> = {
  pss: ['RAW', 'DIGEST'],
  pkcs1: ['RAW', 'DIGEST'],
  ecdsa: ['RAW', 'DIGEST'],
  ed25519: ['RAW'],
  ed25519ph: ['DIGEST'],
  'ml-dsa': ['RAW', 'EXTERNAL_MU'],
  sm2dsa: ['RAW', 'DIGEST'],
};

/** The enabled key `keyIdArg` names, checked to be an asymmetric key of `usage`. */
export async function asymmetricKey(
  ctx: KmsContext,
  keyIdArg: string,
  usage: 'SIGN_VERIFY' | 'ENCRYPT_DECRYPT',
  operation: KmsOperationName,
): Promise<KeyRow> {
  const key = await findKey(ctx, keyIdArg, { allowAlias: true });
  await assertUsableForCrypto(ctx, key);
  if (key.keyUsage !== usage) throw keyUsageError(key, operation);
  return key;
}

/** The key's DER SubjectPublicKeyInfo, as GetPublicKey returns it. */
function spkiOf(key: KeyRow): Buffer {
  return Buffer.from(key.publicKey ?? '', 'base64');
}

export function publicKeyOf(key: KeyRow): KeyObject {
  return createPublicKey({ key: spkiOf(key), format: 'der', type: 'spki' });
}

/**
 * Runs `use` with the key's PKCS#8 DER private key, unwrapped, and zeroes those bytes when it
 * has finished (awaited: an offloaded job copies them first, crypto-offload.ts). Never returned
 * to a caller of the API.
 */
export async function withPrivateKeyDer<T>(ctx: KmsContext, key: KeyRow, use: (pkcs8: Buffer) => T | Promise<T>): Promise<T> {
  const der = await ctx.deps.localKeys.rawMaterial(backendRef(key, key.currentMaterialId));
  try {
    return await use(der);
  } finally {
    der.fill(0);
  }
}

export async function privateKeyOf(ctx: KmsContext, key: KeyRow): Promise<KeyObject> {
  return withPrivateKeyDer(ctx, key, (der) => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
}

/**
 * The signing scheme for the key, algorithm and message type; the message must be a digest
 * of the algorithm's length when MessageType is DIGEST, and a 64-byte μ when it is
 * EXTERNAL_MU (ML-DSA only).
 */
export function signingScheme(key: KeyRow, algorithm: SigningAlgorithmSpec, messageType: MessageType, message: Buffer): SigningScheme {
  const scheme = SCHEMES[algorithm];
  if (!scheme || !(algorithmsOf(key.keySpec, key.keyUsage).SigningAlgorithms ?? []).includes(algorithm)) {
    throw new InvalidKeyUsageException(`Algorithm ${algorithm} is incompatible with key spec ${key.keySpec}.`);
  }
  if (!MESSAGE_TYPES[scheme.kind].includes(messageType)) {
    throw new ValidationException(`MessageType ${messageType} is not valid for algorithm ${algorithm}.`);
  }
  if (messageType !== 'RAW' && message.length !== scheme.digestBytes) {
    throw new ValidationException(`Digest is invalid length for algorithm ${algorithm}.`);
  }
  return scheme;
}

function nodeOptions(scheme: SigningScheme, keyObject: KeyObject) {
  return scheme.kind === 'pss'
    ? { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.digestBytes }
    : { key: keyObject, padding: constants.RSA_PKCS1_PADDING, dsaEncoding: 'der' as const };
}

export async function signMessage(
  ctx: KmsContext,
  key: KeyRow,
  scheme: SigningScheme,
  messageType: MessageType,
  message: Buffer,
): Promise<Buffer> {
  // Every signature takes milliseconds of CPU that must not stall every other request on the
  // event loop: pure-JavaScript ones (ML-DSA, SM2DSA, and every DIGEST signature, which needs
  // lower-level primitives than node:crypto's sign) run in kmsd's worker threads
  // (crypto-offload.ts); node:crypto signs on libuv's thread pool when given a callback.
  const spec = key.keySpec;
  if (isMlDsaSpec(spec)) return withPrivateKeyDer(ctx, key, (der) => offload('mlDsaSign', spec, der, messageType, message));
  if (scheme.kind === 'sm2dsa') return withPrivateKeyDer(ctx, key, (der) => offload('sm2Sign', der, spkiOf(key), messageType, message));
  const privateKey = await privateKeyOf(ctx, key);
  if (messageType === 'DIGEST') return offload('signDigest', scheme, privateKey, message);
  return signAsync(scheme.hash, message, nodeOptions(scheme, privateKey));
}

const signAsync = promisify(sign);
const verifyAsync = promisify(verify);

/**
 * Verification reads only the public key in the key row, never the private material. Off the
 * event loop as signing is: a P-521 or SM2 verification takes longer than the signature.
 */
export async function verifyMessage(
  key: KeyRow,
  scheme: SigningScheme,
  messageType: MessageType,
  message: Buffer,
  signature: Buffer,
): Promise<boolean> {
  if (isMlDsaSpec(key.keySpec)) return offload('mlDsaVerify', key.keySpec, spkiOf(key), messageType, message, signature);
  if (scheme.kind === 'sm2dsa') return offload('sm2Verify', spkiOf(key), messageType, message, signature);
  const publicKey = publicKeyOf(key);
  if (messageType === 'DIGEST') return offload('verifyDigest', scheme, publicKey, message, signature);
  try {
    return await verifyAsync(scheme.hash, message, nodeOptions(scheme, publicKey), signature);
  } catch {
    return false; // a malformed signature (bad DER, wrong length) is simply not valid
  }
}

const OAEP_HASH: Partial<Record<EncryptionAlgorithmSpec, { hash: string; bytes: number }>> = {
  RSAES_OAEP_SHA_1: { hash: 'sha1', bytes: 20 },
  RSAES_OAEP_SHA_256: { hash: 'sha256', bytes: 32 },
};

function oaepFor(key: KeyRow, algorithm: EncryptionAlgorithmSpec | undefined): { hash: string; bytes: number } {
  const oaep = algorithm === undefined ? undefined : OAEP_HASH[algorithm];
  if (!oaep || !isRsaSpec(key.keySpec)) {
    throw new InvalidKeyUsageException(`The encryption algorithm ${algorithm ?? 'SYMMETRIC_DEFAULT'} is not valid for ${key.arn}.`);
  }
  return oaep;
}

/**
 * An asymmetric key takes no encryption context (AWS supports it only with symmetric keys);
 * kmsd rejects one rather than silently dropping it, so a caller never believes it is bound.
 */
function assertNoContext(context: Record<string, string> | undefined): void {
  if (context !== undefined && Object.keys(context).length > 0) {
    throw new ValidationException('EncryptionContext is not supported with asymmetric KMS keys.');
  }
}

/**
 * RSAES-OAEP encryption; the plaintext limit is key bytes − 2·hash bytes − 2 (§4.1). SM2 keys'
 * SM2PKE shares the callers (Encrypt, ReEncrypt) and goes to sm2PkeEncrypt.
 */
export async function rsaEncrypt(
  key: KeyRow,
  algorithm: EncryptionAlgorithmSpec | undefined,
  plaintext: Buffer,
  context: Record<string, string> | undefined,
): Promise<Buffer> {
  if (key.keySpec === 'SM2') return sm2PkeEncrypt(key, algorithm, plaintext, context);
  const oaep = oaepFor(key, algorithm);
  assertNoContext(context);
  const limit = RSA_BITS[key.keySpec as RsaKeySpec] / 8 - 2 * oaep.bytes - 2;
  if (plaintext.length > limit) {
    // AWS's text, recorded for every RSA spec and OAEP algorithm.
    throw new ValidationException(`Algorithm ${algorithm} and key spec ${key.keySpec} cannot encrypt data larger than ${limit} bytes.`);
  }
  // A public-key operation: about a tenth of a millisecond even at 4096 bits, so it stays here.
  return publicEncrypt({ key: publicKeyOf(key), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaep.hash }, plaintext);
}

export async function rsaDecrypt(
  ctx: KmsContext,
  key: KeyRow,
  algorithm: EncryptionAlgorithmSpec | undefined,
  ciphertext: Buffer,
  context: Record<string, string> | undefined,
): Promise<Buffer> {
  if (key.keySpec === 'SM2') return sm2PkeDecrypt(ctx, key, algorithm, ciphertext, context);
  const oaep = oaepFor(key, algorithm);
  assertNoContext(context);
  // WebCrypto's RSA-OAEP decrypt runs on libuv's thread pool (node:crypto's privateDecrypt
  // would hold the event loop for milliseconds at 4096 bits). importKey reads the DER before it
  // returns, so the unwrapped bytes can be zeroed at once.
  const oaepParams = { name: 'RSA-OAEP', hash: oaep.hash === 'sha1' ? 'SHA-1' : 'SHA-256' };
  const privateKey = await withPrivateKeyDer(ctx, key, (der) => webcrypto.subtle.importKey('pkcs8', der, oaepParams, false, ['decrypt']));
  try {
    return Buffer.from(await webcrypto.subtle.decrypt({ name: 'RSA-OAEP' }, privateKey, ciphertext));
  } catch {
    throw invalidCiphertext();
  }
}

function assertSm2Pke(key: KeyRow, algorithm: EncryptionAlgorithmSpec | undefined): void {
  if (algorithm !== 'SM2PKE') {
    throw new InvalidKeyUsageException(`The encryption algorithm ${algorithm ?? 'SYMMETRIC_DEFAULT'} is not valid for ${key.arn}.`);
  }
}

/** SM2PKE to an SM2 key (China Regions); AWS's plaintext limit is 1024 bytes (§4.1). */
async function sm2PkeEncrypt(
  key: KeyRow,
  algorithm: EncryptionAlgorithmSpec | undefined,
  plaintext: Buffer,
  context: Record<string, string> | undefined,
): Promise<Buffer> {
  assertSm2Pke(key, algorithm);
  assertNoContext(context);
  if (plaintext.length > SM2PKE_MAX_PLAINTEXT) {
    throw new ValidationException(`Algorithm SM2PKE and key spec SM2 cannot encrypt data larger than ${SM2PKE_MAX_PLAINTEXT} bytes.`);
  }
  return offload('sm2Encrypt', spkiOf(key), plaintext);
}

async function sm2PkeDecrypt(
  ctx: KmsContext,
  key: KeyRow,
  algorithm: EncryptionAlgorithmSpec | undefined,
  ciphertext: Buffer,
  context: Record<string, string> | undefined,
): Promise<Buffer> {
  assertSm2Pke(key, algorithm);
  assertNoContext(context);
  const plaintext = await withPrivateKeyDer(ctx, key, (der) => offload('sm2Decrypt', der, ciphertext));
  if (plaintext === undefined) throw invalidCiphertext();
  return plaintext;
}

/**
 * Decrypt / ReEncrypt of an RSA ciphertext: it has no header naming its key, so the key
 * argument (KeyId, SourceKeyId) is required with an RSAES algorithm.
 */
export async function openRsa(
  ctx: KmsContext,
  keyIdArg: string | undefined,
  algorithm: EncryptionAlgorithmSpec,
  blob: Buffer,
  context: Record<string, string> | undefined,
  operation: 'Decrypt' | 'ReEncrypt',
): Promise<{ key: KeyRow; plaintext: Buffer }> {
  if (keyIdArg === undefined) throw new ValidationException(`KeyId is required with EncryptionAlgorithm ${algorithm}.`);
  const key = await asymmetricKey(ctx, keyIdArg, 'ENCRYPT_DECRYPT', operation);
  return { key, plaintext: await rsaDecrypt(ctx, key, algorithm, blob, context) };
}

/** Whether Encrypt / ReEncrypt to this key is RSA encryption (one field test for the hot path). */
export function isRsaEncryptionKey(key: KeyRow): boolean {
  return key.publicKey !== undefined && key.keyUsage === 'ENCRYPT_DECRYPT';
}
