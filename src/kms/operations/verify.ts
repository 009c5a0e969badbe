import type { VerifyRequest, VerifyResponse } from '../../generated/kms.js';
import { KMSInvalidSignatureException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { asymmetricKey, signingScheme, verifyMessage } from '../asymmetric.js';
import { assertDryRun } from '../dry-run.js';

/**
 * Verify with the key's public key. As in AWS, a signature that does not verify is
 * KMSInvalidSignatureException (no message), never SignatureValid=false.
 */
export const verify: KmsHandler<VerifyRequest, VerifyResponse> = async (input, ctx) => {
  const key = await asymmetricKey(ctx, input.KeyId, 'SIGN_VERIFY', 'Verify');
  const messageType = input.MessageType ?? 'RAW';
  const scheme = signingScheme(key, input.SigningAlgorithm, messageType, input.Message);
  assertDryRun(input.DryRun);
  if (!(await verifyMessage(key, scheme, messageType, input.Message, input.Signature))) {
    // AWS sends this exception with no message (recorded responses).
    throw new KMSInvalidSignatureException('');
  }
  return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: input.SigningAlgorithm };
};
