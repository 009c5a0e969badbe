import type { GenerateDataKeyRequest, GenerateDataKeyResponse } from '../../generated/kms.js';
import { UnsupportedOperationException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { generateDataKey as newDataKey } from '../data-keys.js';

export const generateDataKey: KmsHandler<GenerateDataKeyRequest, GenerateDataKeyResponse> = async (input, ctx) => {
  if (input.Recipient !== undefined) {
    throw new UnsupportedOperationException('Recipient (Nitro Enclaves attestation) is not supported by kmsd.');
  }
  const dk = await newDataKey(input, ctx, 'GenerateDataKey');
  return { CiphertextBlob: dk.blob, Plaintext: dk.plaintext, KeyId: dk.keyArn, KeyMaterialId: dk.materialId };
};
