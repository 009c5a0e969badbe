/**
 * What GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext share: a fresh key pair
 * (unrelated to the KMS key) whose PKCS#8 DER private key is sealed under a symmetric KMS key.
 */
import type { DataKeyPairSpec } from '../generated/kms.js';
import { UnsupportedOperationException } from '../generated/kms.js';
import type { KmsContext } from './context.js';
import type { EncryptionContext } from './encryption-context.js';
import { assertUsableForCrypto, findKey } from './keys.js';
import { assertSymmetricEncryptionKey, sealWithKey } from './symmetric.js';
import { assertDryRun } from './dry-run.js';
import { newKeyPair } from './key-material.js';
import { isSm2Region } from './sm2.js';

export interface DataKeyPairRequest {
  KeyId: string;
  KeyPairSpec: DataKeyPairSpec;
  EncryptionContext?: EncryptionContext;
  DryRun?: boolean;
}

/** The response fields both operations return (GenerateDataKeyPair adds the plaintext). */
export interface DataKeyPair {
  PrivateKeyCiphertextBlob: Buffer;
  PublicKey: Buffer;
  KeyId: string;
  KeyPairSpec: DataKeyPairSpec;
  KeyMaterialId: string;
}

export async function generateDataKeyPair(input: DataKeyPairRequest, ctx: KmsContext): Promise<{ pair: DataKeyPair; privateKey: Buffer }> {
  const key = await findKey(ctx, input.KeyId, { allowAlias: true });
  await assertUsableForCrypto(ctx, key);
  assertSymmetricEncryptionKey(key, undefined);
  // AWS generates data key pairs only under keys whose material it holds itself.
  if (key.customKeyStoreId !== undefined) {
    throw new UnsupportedOperationException(`${key.arn} is in a custom key store, which does not support data key pairs.`);
  }
  if (input.KeyPairSpec === 'SM2' && !isSm2Region(ctx.scope.region)) {
    throw new UnsupportedOperationException('KeyPairSpec SM2 is available only in China Regions.');
  }
  assertDryRun(input.DryRun);
  const pair = await newKeyPair(input.KeyPairSpec);
  const privateKey = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
  const { blob, materialId } = await sealWithKey(ctx, key, privateKey, input.EncryptionContext);
  return {
    privateKey,
    pair: {
      PrivateKeyCiphertextBlob: blob,
      PublicKey: pair.publicKey.export({ format: 'der', type: 'spki' }),
      KeyId: key.arn,
      KeyPairSpec: input.KeyPairSpec,
      KeyMaterialId: materialId,
    },
  };
}
