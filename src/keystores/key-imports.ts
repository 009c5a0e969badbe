/**
 * The service side of importing key material (origin EXTERNAL): the RSA wrapping key pairs
 * and import tokens of GetParametersForImport, and unwrapping what ImportKeyMaterial sends.
 *
 * Each GetParametersForImport makes a fresh RSA key pair. Its private key is stored only
 * wrapped under the root key (AAD names the row and the KMS key), in a row that the sweeper
 * purges once the 24-hour validity has passed. The import token is
 *
 *   version(1) ‖ row id(16, random) ‖ valid-to(8, epoch ms, big-endian) ‖ HMAC-SHA256(32)
 *
 * with the HMAC (under a key derived from the root key) over the id, the validity and the
 * KMS key ARN: a token cannot be forged, extended, or used for another KMS key, and an
 * expired one is recognised even after its row is gone.
 */
import { createDecipheriv, createHmac, generateKeyPair, randomBytes, timingSafeEqual, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import type { Scope, Store, Table } from '../store/store.js';
import { DEFAULT_LEASE_MS } from '../store/store.js';
import type { RootKey } from './root-key.js';

const generate = promisify(generateKeyPair);

export type RsaWrappingAlgorithm = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256' | 'RSA_AES_KEY_WRAP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256';
export type RsaWrappingKeySpec = 'RSA_2048' | 'RSA_3072' | 'RSA_4096';
/** SM2PKE with an SM2 wrapping key exists only where SM2 does (AWS's China Regions). */
export type WrappingChoice = { algorithm: RsaWrappingAlgorithm; spec: RsaWrappingKeySpec } | { algorithm: 'SM2PKE'; spec: 'SM2' };
export type WrappingAlgorithm = WrappingChoice['algorithm'];

/**
 * SM2PKE decryption (GM/T 0009 ASN.1 ciphertext); undefined when it fails. Given by the KMS layer
 * (kmsd's runs it in a worker thread: kms/crypto-offload.ts).
 */
export type Sm2Decrypt = (pkcs8: Buffer, ciphertext: Buffer) => Promise<Buffer | undefined>;

const WRAPPING_BITS: Record<RsaWrappingKeySpec, number> = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 };
/** The OAEP hash (and MGF1's) of each wrapping algorithm, as WebCrypto names it. */
const OAEP_HASH: Record<RsaWrappingAlgorithm, 'SHA-1' | 'SHA-256'> = {
  RSAES_OAEP_SHA_1: 'SHA-1',
  RSAES_OAEP_SHA_256: 'SHA-256',
  RSA_AES_KEY_WRAP_SHA_1: 'SHA-1',
  RSA_AES_KEY_WRAP_SHA_256: 'SHA-256',
};

/** AWS's import parameters are valid for 24 hours. */
export const IMPORT_PARAMETERS_VALIDITY_MS = 24 * 60 * 60 * 1000;

const TOKEN_VERSION = 1;
const TOKEN_LENGTH = 1 + 16 + 8 + 32;
/** RFC 5649 alternative initial value (AES key wrap with padding). */
const KWP_IV = Buffer.from('A65959A6', 'hex');

interface WrappingKeyRow {
  keyArn: string;
  algorithm: WrappingAlgorithm;
  /** The PKCS#8 DER private key, wrapped under the root key; AAD = aadOf(id, keyArn). */
  wrappedPrivateKey: string;
  /** epoch ms */
  validTo: number;
}

export class InvalidImportTokenError extends Error {
  constructor() {
    super('invalid import token');
  }
}

export class ExpiredImportTokenError extends Error {
  constructor() {
    super('expired import token');
  }
}

/** The encrypted key material could not be unwrapped with the token's wrapping key. */
export class UnwrapError extends Error {
  constructor() {
    super('the key material could not be unwrapped');
  }
}

export class KeyImports {
  private readonly table: Table<WrappingKeyRow>;
  private readonly tokenKey: Buffer;
  private readonly materialIdKey: Buffer;

  constructor(
    store: Store,
    private readonly rootKey: RootKey,
    private readonly sm2Decrypt?: Sm2Decrypt,
  ) {
    this.table = store.table<WrappingKeyRow>('kms_import_wrapping_keys');
    this.tokenKey = rootKey.deriveKey('kms import token');
    this.materialIdKey = rootKey.deriveKey('kms imported key material id');
  }

  /** A new wrapping key pair and its token; the key pair is made off the event loop. */
  async createParameters(
    scope: Scope,
    keyArn: string,
    { algorithm, spec }: WrappingChoice,
    now: number,
  ): Promise<{ importToken: Buffer; publicKey: Buffer; validTo: number }> {
    const { privateKey, publicKey } =
      spec === 'SM2' ? await generate('ec', { namedCurve: 'SM2' }) : await generate('rsa', { modulusLength: WRAPPING_BITS[spec] });
    const id = randomBytes(16);
    const validTo = now + IMPORT_PARAMETERS_VALIDITY_MS;
    const row: WrappingKeyRow = {
      keyArn,
      algorithm,
      wrappedPrivateKey: this.rootKey.wrap(privateKey.export({ format: 'der', type: 'pkcs8' }), aadOf(id, keyArn)),
      validTo,
    };
    await this.table.put(scope, id.toString('hex'), row, { due: validTo });
    const validToBytes = Buffer.alloc(8);
    validToBytes.writeBigUInt64BE(BigInt(validTo));
    const body = Buffer.concat([Buffer.from([TOKEN_VERSION]), id, validToBytes]);
    return {
      importToken: Buffer.concat([body, this.tokenMac(body, keyArn)]),
      publicKey: publicKey.export({ format: 'der', type: 'spki' }),
      validTo,
    };
  }

  /**
   * The plaintext key material. Throws InvalidImportTokenError (malformed, forged, another
   * key's), ExpiredImportTokenError, or UnwrapError (not wrapped with this token's public key
   * and algorithm).
   */
  async unwrap(scope: Scope, keyArn: string, token: Buffer, encrypted: Buffer, now: number): Promise<Buffer> {
    if (token.length !== TOKEN_LENGTH || token[0] !== TOKEN_VERSION) throw new InvalidImportTokenError();
    const body = token.subarray(0, TOKEN_LENGTH - 32);
    if (!timingSafeEqual(this.tokenMac(body, keyArn), token.subarray(TOKEN_LENGTH - 32))) throw new InvalidImportTokenError();
    const id = token.subarray(1, 17);
    if (Number(token.readBigUInt64BE(17)) <= now) throw new ExpiredImportTokenError();
    const row = await this.table.get(scope, id.toString('hex'));
    if (!row || row.keyArn !== keyArn) throw new InvalidImportTokenError();
    const pkcs8 = this.rootKey.unwrap(row.wrappedPrivateKey, aadOf(id, keyArn));
    if (row.algorithm === 'SM2PKE') {
      let material: Buffer | undefined;
      try {
        material = await this.sm2Decrypt?.(pkcs8, encrypted);
      } finally {
        pkcs8.fill(0);
      }
      if (!material) throw new UnwrapError();
      return material;
    }
    // WebCrypto's RSA-OAEP decrypt runs on libuv's thread pool: node:crypto's privateDecrypt
    // would hold the event loop for milliseconds at 4096 bits. importKey reads the DER before
    // it returns, so the unwrapped bytes are zeroed at once.
    let privateKey: webcrypto.CryptoKey;
    try {
      privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSA-OAEP', hash: OAEP_HASH[row.algorithm] }, false, [
        'decrypt',
      ]);
    } finally {
      pkcs8.fill(0);
    }
    try {
      return await unwrapMaterial(row.algorithm, privateKey, encrypted);
    } catch {
      throw new UnwrapError();
    }
  }

  /**
   * AWS derives an imported material's KeyMaterialId from the KMS key and the material, so
   * re-importing the same material gives the same id. kmsd: HMAC-SHA256 under a key derived
   * from the root key, so the id reveals nothing about the material.
   */
  materialId(keyId: string, identity: Buffer): string {
    return createHmac('sha256', this.materialIdKey)
      .update(keyId)
      .update(Buffer.from([0]))
      .update(identity)
      .digest('hex');
  }

  /** Removes wrapping keys whose validity has passed (their tokens are refused anyway). */
  async purgeExpired(now: number): Promise<void> {
    for (const { scope, id } of await this.table.claimDue(now, 500, DEFAULT_LEASE_MS)) await this.table.delete(scope, id);
  }

  private tokenMac(body: Buffer, keyArn: string): Buffer {
    return createHmac('sha256', this.tokenKey).update(body).update(keyArn).digest();
  }
}

function aadOf(id: Buffer, keyArn: string): string {
  return `import-wrapping-key#${id.toString('hex')}#${keyArn}`;
}

/**
 * RSAES_OAEP_*: the material itself is OAEP-encrypted (MGF1 with the same hash).
 * RSA_AES_KEY_WRAP_*: an ephemeral 256-bit AES key, OAEP-encrypted (as long as the modulus),
 * followed by the material wrapped with that key by AES key wrap with padding (RFC 5649),
 * which is what AWS's openssl recipe (`enc -id-aes256-wrap-pad`) produces.
 */
async function unwrapMaterial(algorithm: RsaWrappingAlgorithm, privateKey: webcrypto.CryptoKey, encrypted: Buffer): Promise<Buffer> {
  const decrypt = async (data: Buffer): Promise<Buffer> =>
    Buffer.from(await webcrypto.subtle.decrypt({ name: 'RSA-OAEP' }, privateKey, data));
  if (algorithm === 'RSAES_OAEP_SHA_1' || algorithm === 'RSAES_OAEP_SHA_256') return decrypt(encrypted);
  const modulusBytes = (privateKey.algorithm as webcrypto.RsaHashedKeyAlgorithm).modulusLength / 8;
  if (encrypted.length <= modulusBytes) throw new UnwrapError();
  const aesKey = await decrypt(encrypted.subarray(0, modulusBytes));
  try {
    if (aesKey.length !== 32) throw new UnwrapError();
    const decipher = createDecipheriv('id-aes256-wrap-pad', aesKey, KWP_IV);
    return Buffer.concat([decipher.update(encrypted.subarray(modulusBytes)), decipher.final()]);
  } finally {
    aesKey.fill(0);
  }
}
