import type { GenerateDataKeyWithoutPlaintextRequest, GenerateDataKeyWithoutPlaintextResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { generateDataKey } from '../data-keys.js';

/** As GenerateDataKey, but the plaintext data key never leaves kmsd. */
export const generateDataKeyWithoutPlaintext: KmsHandler<
  GenerateDataKeyWithoutPlaintextRequest,
  GenerateDataKeyWithoutPlaintextResponse
> = async (input, ctx) => {
  const dk = await generateDataKey(input, ctx, 'GenerateDataKeyWithoutPlaintext');
  dk.plaintext.fill(0);
  return { CiphertextBlob: dk.blob, KeyId: dk.keyArn, KeyMaterialId: dk.materialId };
};
