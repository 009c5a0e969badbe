import type { GenerateDataKeyPairWithoutPlaintextRequest, GenerateDataKeyPairWithoutPlaintextResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { generateDataKeyPair } from '../data-key-pairs.js';

export const generateDataKeyPairWithoutPlaintext: KmsHandler<
  GenerateDataKeyPairWithoutPlaintextRequest,
  GenerateDataKeyPairWithoutPlaintextResponse
> = async (input, ctx) => {
  return (await generateDataKeyPair(input, ctx, 'GenerateDataKeyPairWithoutPlaintext')).pair;
};
