import { randomBytes } from 'node:crypto';
import type { GenerateRandomRequest, GenerateRandomResponse } from '../../generated/kms.js';
import { UnsupportedOperationException } from '../../generated/kms.js';
import { validationError } from '../../core/validation-error.js';
import type { KmsHandler } from '../context.js';

/** GenerateRandom: NumberOfBytes (1–1024, range checked by the model) random bytes. */
export const generateRandom: KmsHandler<GenerateRandomRequest, GenerateRandomResponse> = async (input) => {
  if (input.Recipient !== undefined) {
    throw new UnsupportedOperationException('Recipient (Nitro Enclaves attestation) is not supported by kmsd.');
  }
  // Documented as required although the model does not mark it so.
  if (input.NumberOfBytes === undefined) throw validationError('numberOfBytes', null, 'Member must not be null');
  if (input.CustomKeyStoreId !== undefined) {
    throw new UnsupportedOperationException('GenerateRandom with CustomKeyStoreId is not implemented by kmsd yet.');
  }
  return { Plaintext: randomBytes(input.NumberOfBytes) };
};
