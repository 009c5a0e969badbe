import { randomBytes } from 'node:crypto';
import type { GenerateRandomRequest, GenerateRandomResponse } from '../../generated/kms.js';
import { UnsupportedOperationException } from '../../generated/kms.js';
import { ValidationException } from '../../core/service-error.js';
import type { KmsHandler } from '../context.js';
import { cloudHsm, findCustomKeyStore, invalidState } from '../custom-key-stores.js';

/**
 * GenerateRandom. With CustomKeyStoreId the bytes come from the store's CloudHSM cluster,
 * which must be CONNECTED (custom-key-stores.md §11.2).
 */
export const generateRandom: KmsHandler<GenerateRandomRequest, GenerateRandomResponse> = async (input, ctx) => {
  if (input.Recipient !== undefined) {
    throw new UnsupportedOperationException('Recipient (Nitro Enclaves attestation) is not supported by kmsd.');
  }
  // The model leaves NumberOfBytes optional (1–1024); AWS rejects a request without it with
  // this text (recorded response).
  if (input.NumberOfBytes === undefined) throw new ValidationException('NumberOfBytes is required.');
  if (input.CustomKeyStoreId === undefined) return { Plaintext: randomBytes(input.NumberOfBytes) };
  const store = await findCustomKeyStore(ctx, input.CustomKeyStoreId);
  ctx.deps.throttle?.chargeCustomKeyStore(ctx.scope, store.id);
  // An XKS proxy has no random-number API (custom-key-stores.md §12).
  if (store.type === 'EXTERNAL_KEY_STORE') {
    throw new UnsupportedOperationException(
      `GenerateRandom is not supported with custom key store ${store.id} of type EXTERNAL_KEY_STORE.`,
    );
  }
  if (store.connectionState !== 'CONNECTED') {
    throw invalidState(store, 'GenerateRandom with a custom key store requires it to be CONNECTED.');
  }
  return { Plaintext: await cloudHsm(ctx).random(ctx.scope, store.id, input.NumberOfBytes) };
};
