import type { DeriveSharedSecretRequest, DeriveSharedSecretResponse } from '../../generated/kms.js';
import { InvalidKeyUsageException } from '../../generated/kms.js';
import { ValidationException } from '../../core/service-error.js';
import type { KmsHandler } from '../context.js';
import { assertUsableForCrypto, findKey } from '../keys.js';
import { assertDryRun } from '../dry-run.js';
import { assertPeerPublicKey, ecdhSharedSecret } from '../key-agreement.js';

/**
 * DeriveSharedSecret: ECDH between a KEY_AGREEMENT key's private key and the peer's public key.
 * Checks in AWS's order: the key (NotFoundException), its state (the key-state table, like
 * Sign), its usage (InvalidKeyUsageException naming the operation, as recorded from AWS), then
 * the public key; KeyAgreementAlgorithm is the model's one-value enum, checked at the edge.
 */
export const deriveSharedSecret: KmsHandler<DeriveSharedSecretRequest, DeriveSharedSecretResponse> = async (input, ctx) => {
  const key = await findKey(ctx, input.KeyId, { allowAlias: true });
  await assertUsableForCrypto(ctx, key);
  if (key.keyUsage !== 'KEY_AGREEMENT') {
    throw new InvalidKeyUsageException(`${key.arn} key usage is ${key.keyUsage} which is not valid for DeriveSharedSecret.`);
  }
  assertPeerPublicKey(key, input.PublicKey);
  // Recipient needs a Nitro Enclaves / NitroTPM attestation document signed by the AWS Nitro
  // Attestation PKI, which nothing outside AWS hardware can produce; AWS refuses a document
  // whose signature does not chain to that root, so kmsd refuses every one.
  if (input.Recipient !== undefined) {
    throw new ValidationException('The attestation document in Recipient is not valid: kmsd cannot verify AWS Nitro attestation.');
  }
  assertDryRun(input.DryRun);
  return {
    KeyId: key.arn,
    SharedSecret: await ecdhSharedSecret(ctx, key, input.PublicKey),
    KeyAgreementAlgorithm: input.KeyAgreementAlgorithm,
    KeyOrigin: key.origin,
  };
};
