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
import { newMlDsaKey } from './ml-dsa.js';

const generate = promisify(generateKeyPair);

export async function createKeyMaterial(ctx: KmsContext, key: KeyRow): Promise<void> {
  const ref = backendRef(key, key.currentMaterialId);
  if (isHmacSpec(key.keySpec)) {
    await ctx.deps.localKeys.storeMaterial(ref, randomBytes(HMAC_SPECS[key.keySpec].bytes));
  } else if (isMlDsaSpec(key.keySpec)) {
    const { pkcs8, spki } = newMlDsaKey(key.keySpec);
    await ctx.deps.localKeys.storeMaterial(ref, pkcs8);
    pkcs8.fill(0);
    key.publicKey = spki.toString('base64');
  } else if (isAsymmetricSpec(key.keySpec)) {
    const { privateKey, publicKey } = await newKeyPair(key.keySpec);
    await ctx.deps.localKeys.storeMaterial(ref, privateKey.export({ format: 'der', type: 'pkcs8' }));
    key.publicKey = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  } else {
    await ctx.deps.localKeys.createMaterial(ref);
  }
}

/** A fresh key pair of the spec (also used for data key pairs). */
export async function newKeyPair(spec: NodeKeyPairSpec): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (spec === 'ECC_NIST_EDWARDS25519') return generate('ed25519');
  if (spec === 'SM2') return generate('ec', { namedCurve: 'SM2' });
  if (spec in RSA_BITS) return generate('rsa', { modulusLength: RSA_BITS[spec as keyof typeof RSA_BITS] });
  return generate('ec', { namedCurve: ECC_CURVES[spec as keyof typeof ECC_CURVES] });
}
