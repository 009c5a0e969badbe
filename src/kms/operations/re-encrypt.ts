import type { ReEncryptRequest, ReEncryptResponse } from '../../generated/kms.js';
import { validationError } from '../../core/validation-error.js';
import type { KmsHandler } from '../context.js';
import { assertUsableForCrypto, findKey } from '../keys.js';
import { assertSymmetricEncryptionKey, openBlob, sealWithKey } from '../symmetric.js';
import { assertDryRun } from '../dry-run.js';

/**
 * ReEncrypt: opens the blob (source key from its header, SourceKeyId must match it when
 * given) and seals the plaintext under the destination key, all inside kmsd: the plaintext
 * is never returned. Source and destination may be the same key, to change the context.
 */
export const reEncrypt: KmsHandler<ReEncryptRequest, ReEncryptResponse> = async (input, ctx) => {
  const destination = await findKey(ctx, input.DestinationKeyId, { allowAlias: true });
  await assertUsableForCrypto(ctx, destination);
  assertSymmetricEncryptionKey(destination, input.DestinationEncryptionAlgorithm);
  // DryRun with IGNORE_CIPHERTEXT checks everything but the ciphertext (the model lets
  // CiphertextBlob be absent only for that).
  const ignoreCiphertext = input.DryRun === true && (input.DryRunModifiers ?? []).includes('IGNORE_CIPHERTEXT');
  if (ignoreCiphertext) assertDryRun(true);
  if (input.CiphertextBlob === undefined) throw validationError('ciphertextBlob', null, 'Member must not be null');
  const source = await openBlob(
    ctx,
    input.CiphertextBlob,
    input.SourceEncryptionContext,
    input.SourceKeyId,
    input.SourceEncryptionAlgorithm,
  );
  assertDryRun(input.DryRun);
  const sealed = await sealWithKey(ctx, destination, source.plaintext, input.DestinationEncryptionContext);
  return {
    CiphertextBlob: sealed.blob,
    SourceKeyId: source.key.arn,
    KeyId: destination.arn,
    SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    SourceKeyMaterialId: source.materialId,
    DestinationKeyMaterialId: sealed.materialId,
  };
};
