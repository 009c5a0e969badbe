import type { EncryptRequest, EncryptResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { assertUsableForCrypto, findKey } from '../keys.js';
import { assertSymmetricEncryptionKey, sealWithKey } from '../symmetric.js';
import { assertDryRun } from '../dry-run.js';
import { isRsaEncryptionKey, rsaEncrypt } from '../asymmetric.js';

export const encrypt: KmsHandler<EncryptRequest, EncryptResponse> = async (input, ctx) => {
  const key = await findKey(ctx, input.KeyId, { allowAlias: true });
  await assertUsableForCrypto(ctx, key);
  // RSA ENCRYPT_DECRYPT keys: one field test, so the symmetric path stays as it was.
  if (isRsaEncryptionKey(key)) {
    const blob = await rsaEncrypt(key, input.EncryptionAlgorithm, input.Plaintext, input.EncryptionContext);
    assertDryRun(input.DryRun);
    return { CiphertextBlob: blob, KeyId: key.arn, EncryptionAlgorithm: input.EncryptionAlgorithm };
  }
  assertSymmetricEncryptionKey(key, input.EncryptionAlgorithm, 'Encrypt');
  assertDryRun(input.DryRun);
  const { blob } = await sealWithKey(ctx, key, input.Plaintext, input.EncryptionContext);
  return { CiphertextBlob: blob, KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
};
