import type { DecryptRequest, DecryptResponse } from '../../generated/kms.js';
import { UnsupportedOperationException } from '../../generated/kms.js';
import { validationError } from '../../core/validation-error.js';
import type { KmsHandler } from '../context.js';
import { openBlob } from '../symmetric.js';
import { assertDryRun } from '../dry-run.js';
import { openRsa } from '../asymmetric.js';

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
    const { key, plaintext } = await openRsa(
      ctx,
      input.KeyId,
      input.EncryptionAlgorithm,
      input.CiphertextBlob,
      input.EncryptionContext,
      'Decrypt',
    );
    assertDryRun(input.DryRun);
    return { KeyId: key.arn, Plaintext: plaintext, EncryptionAlgorithm: input.EncryptionAlgorithm };
  }
  const { key, plaintext, materialId } = await openBlob(
    ctx,
    input.CiphertextBlob,
    input.EncryptionContext,
    input.KeyId,
    input.EncryptionAlgorithm,
    'Decrypt',
  );
  assertDryRun(input.DryRun);
  return { KeyId: key.arn, Plaintext: plaintext, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT', KeyMaterialId: materialId };
};
