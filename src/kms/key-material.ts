/**
 * A new key's first (and, for HMAC and asymmetric keys, only) material version, wrapped
 * under the root key by the local backend: 32 random bytes for symmetric keys, a random
 * HMAC key of the hash's length, or a key pair (node:crypto's, or ML-DSA's from ml-dsa.ts) whose
 * PKCS#8 DER private key is stored and whose SubjectPublicKeyInfo goes into the key row.
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { KmsContext } from './context.js';
import { backendRef } from './keys.js';
import type { KeyRow } from './keys.js';
import { ECC_CURVES, HMAC_SPECS, isAsymmetricSpec, isHmacSpec, isMlDsaSpec, RSA_BITS } from './key-specs.js';
import type { NodeKeyPairSpec } from './key-specs.js';
import { offload } from './crypto-offload.js';

const generate = promisify(generateKeyPair);

/** A new key's material, made but not yet stored. */
export interface NewKeyMaterial {
  /** The bytes to wrap and store: a symmetric or HMAC key, or a PKCS#8 DER private key. */
  material: Buffer;
  /** SubjectPublicKeyInfo, base64, for asymmetric specs. */
  publicKey?: string;
}

/**
 * Makes a key's material. Call it before the store transaction that saves the key, never
 * inside: an RSA_4096 key pair takes hundreds of milliseconds, and a transaction holds the
 * store's write lock for every other client meanwhile.
 */
export async function generateKeyMaterial(keySpec: KeyRow['keySpec']): Promise<NewKeyMaterial> {
  if (isHmacSpec(keySpec)) return { material: randomBytes(HMAC_SPECS[keySpec].bytes) };
  if (isMlDsaSpec(keySpec)) {
    // Pure JavaScript, milliseconds of CPU: made in a worker thread (crypto-offload.ts).
    const { pkcs8, spki } = await offload('newMlDsaKey', keySpec);
    return { material: pkcs8, publicKey: spki.toString('base64') };
  }
  if (isAsymmetricSpec(keySpec)) {
    const { privateKey, publicKey } = await newKeyPair(keySpec);
    return {
      material: privateKey.export({ format: 'der', type: 'pkcs8' }),
      publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    };
  }
  return { material: randomBytes(32) };
}

/**
 * Wraps and stores material from generateKeyMaterial as the key's current version. The
 * caller zeroes `made.material` once its transaction is over: not here, because a
 * transaction that retries runs this again with the same bytes.
 */
export async function storeKeyMaterial(ctx: KmsContext, key: KeyRow, made: NewKeyMaterial): Promise<void> {
  await ctx.deps.localKeys.storeMaterial(backendRef(key, key.currentMaterialId), made.material);
  if (made.publicKey) key.publicKey = made.publicKey;
}

/** A fresh key pair of the spec (also used for data key pairs). */
export async function newKeyPair(spec: NodeKeyPairSpec): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (spec === 'ECC_NIST_EDWARDS25519') return generate('ed25519');
  if (spec === 'SM2') return generate('ec', { namedCurve: 'SM2' });
  if (spec in RSA_BITS) return generate('rsa', { modulusLength: RSA_BITS[spec as keyof typeof RSA_BITS] });
  return generate('ec', { namedCurve: ECC_CURVES[spec as keyof typeof ECC_CURVES] });
}
