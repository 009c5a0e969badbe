/** HMAC with a KMS key (GenerateMac, VerifyMac): RFC 2104 over the message with the key's material. */
import { createHmac } from 'node:crypto';
import type { MacAlgorithmSpec } from '../generated/kms.js';
import { InvalidKeyUsageException } from '../generated/kms.js';
import type { KmsContext } from './context.js';
import { assertUsableForCrypto, backendRef, findKey, keyUsageError } from './keys.js';
import type { KeyRow } from './keys.js';
import { HMAC_SPECS, isHmacSpec } from './key-specs.js';

/**
 * The MAC of `message` under the key `keyIdArg` names. The key must be an enabled HMAC key
 * whose spec matches the algorithm (InvalidKeyUsageException otherwise).
 */
export async function computeMac(
  ctx: KmsContext,
  keyIdArg: string,
  algorithm: MacAlgorithmSpec,
  message: Buffer,
  operation: 'GenerateMac' | 'VerifyMac',
): Promise<{ key: KeyRow; mac: Buffer }> {
  const key = await findKey(ctx, keyIdArg, { allowAlias: true });
  await assertUsableForCrypto(ctx, key);
  if (key.keyUsage !== 'GENERATE_VERIFY_MAC' || !isHmacSpec(key.keySpec)) {
    throw keyUsageError(key, operation);
  }
  const spec = HMAC_SPECS[key.keySpec];
  if (spec.algorithm !== algorithm) {
    throw new InvalidKeyUsageException(`Algorithm ${algorithm} is incompatible with key spec ${key.keySpec}.`);
  }
  const material = await ctx.deps.localKeys.rawMaterial(backendRef(key, key.currentMaterialId));
  try {
    return { key, mac: createHmac(spec.hash, material).update(message).digest() };
  } finally {
    material.fill(0);
  }
}
