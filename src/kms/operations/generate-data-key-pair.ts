import type { GenerateDataKeyPairRequest, GenerateDataKeyPairResponse } from '../../generated/kms.js';
import { UnsupportedOperationException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { generateDataKeyPair as newPair } from '../data-key-pairs.js';

export const generateDataKeyPair: KmsHandler<GenerateDataKeyPairRequest, GenerateDataKeyPairResponse> = async (input, ctx) => {
  if (input.Recipient !== undefined) {
    throw new UnsupportedOperationException('Recipient (Nitro Enclaves attestation) is not supported by kmsd.');
  }
  const { pair, privateKey } = await newPair(input, ctx, 'GenerateDataKeyPair');
  return { ...pair, PrivateKeyPlaintext: privateKey };
};
