import type { GenerateDataKeyPairWithoutPlaintextRequest, GenerateDataKeyPairWithoutPlaintextResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { generateDataKeyPair } from '../data-key-pairs.js';

export const generateDataKeyPairWithoutPlaintext: KmsHandler<
  GenerateDataKeyPairWithoutPlaintextRequest,
  GenerateDataKeyPairWithoutPlaintextResponse
> = async (input, ctx) => {
  const pair = await generateDataKeyPair(input, ctx);
  return {
    PrivateKeyCiphertextBlob: pair.blob,
    PublicKey: pair.publicKey,
    KeyId: pair.keyArn,
    KeyPairSpec: input.KeyPairSpec,
    KeyMaterialId: pair.materialId,
  };
};
