import type { DecryptRequest, DecryptResponse } from '../../generated/kms.js';
import { UnsupportedOperationException } from '../../generated/kms.js';
import { validationError } from '../../core/validation-error.js';
import type { KmsContext, KmsHandler } from '../context.js';
import { ValidationException } from '../../core/service-error.js';
import { openBlob } from '../symmetric.js';
import { assertDryRun } from '../dry-run.js';
import { asymmetricKey, rsaDecrypt } from '../asymmetric.js';

export const decrypt: KmsHandler<DecryptRequest, DecryptResponse> = async (input, ctx) => {
  if (input.Recipient !== undefined) {
    throw new UnsupportedOperationException('Recipient (Nitro Enclaves attestation) is not supported by kmsd.');
  }
  // The model dropped `required` in 2026 for DryRun with IGNORE_CIPHERTEXT only.
  if (input.CiphertextBlob === undefined) {
    throw validationError('ciphertextBlob', null, 'Member must not be null');
  }
  // RSA ciphertext has no header naming its key: KeyId and the RSAES algorithm say it.
  if (input.EncryptionAlgorithm !== undefined && input.EncryptionAlgorithm !== 'SYMMETRIC_DEFAULT') {
    return decryptAsymmetric(input, input.CiphertextBlob, ctx);
  }
  const { key, plaintext, materialId } = await openBlob(
    ctx,
    input.CiphertextBlob,
    input.EncryptionContext,
    input.KeyId,
    input.EncryptionAlgorithm,
  );
  assertDryRun(input.DryRun);
  return { KeyId: key.arn, Plaintext: plaintext, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT', KeyMaterialId: materialId };
};

async function decryptAsymmetric(input: DecryptRequest, blob: Buffer, ctx: KmsContext): Promise<DecryptResponse> {
  if (input.KeyId === undefined) {
    throw new ValidationException(`KeyId is required with EncryptionAlgorithm ${input.EncryptionAlgorithm}.`);
  }
  const key = await asymmetricKey(ctx, input.KeyId, 'ENCRYPT_DECRYPT');
  const plaintext = await rsaDecrypt(ctx, key, input.EncryptionAlgorithm, blob, input.EncryptionContext);
  assertDryRun(input.DryRun);
  return { KeyId: key.arn, Plaintext: plaintext, EncryptionAlgorithm: input.EncryptionAlgorithm };
}
