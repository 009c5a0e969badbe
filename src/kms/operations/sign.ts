import type { SignRequest, SignResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { asymmetricKey, signingScheme, signMessage } from '../asymmetric.js';
import { assertDryRun } from '../dry-run.js';

/** Sign with an asymmetric SIGN_VERIFY key; MessageType RAW (default) or DIGEST. */
export const sign: KmsHandler<SignRequest, SignResponse> = async (input, ctx) => {
  const key = await asymmetricKey(ctx, input.KeyId, 'SIGN_VERIFY', 'Sign');
  const messageType = input.MessageType ?? 'RAW';
  const scheme = signingScheme(key, input.SigningAlgorithm, messageType, input.Message);
  assertDryRun(input.DryRun);
  const signature = await signMessage(ctx, key, scheme, messageType, input.Message);
  return { KeyId: key.arn, Signature: signature, SigningAlgorithm: input.SigningAlgorithm };
};
