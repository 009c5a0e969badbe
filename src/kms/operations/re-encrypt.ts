import type { ReEncryptRequest, ReEncryptResponse } from '../../generated/kms.js';
import { validationError } from '../../core/validation-error.js';
import { assertUsableForCrypto, findKey } from '../keys.js';
import type { KeyRow } from '../keys.js';
import { assertSymmetricEncryptionKey, openBlob, sealWithKey } from '../symmetric.js';
import { assertDryRun } from '../dry-run.js';
import { isRsaEncryptionKey, openRsa, rsaEncrypt } from '../asymmetric.js';
import type { KmsContext, KmsHandler } from '../context.js';

/** The destination key, usable and fit to encrypt with the requested algorithm. */
async function destinationKey(input: ReEncryptRequest, ctx: KmsContext): Promise<{ destination: KeyRow; rsaDestination: boolean }> {
  const destination = await findKey(ctx, input.DestinationKeyId, { allowAlias: true, authorize: { action: 'kms:ReEncryptTo' } });
  await assertUsableForCrypto(ctx, destination);
  const rsaDestination = isRsaEncryptionKey(destination);
  if (!rsaDestination) assertSymmetricEncryptionKey(destination, input.DestinationEncryptionAlgorithm, 'ReEncrypt');
  return { destination, rsaDestination };
}

/**
 * ReEncrypt: opens the blob (source key from its header, SourceKeyId must match it when
 * given) and seals the plaintext under the destination key, all inside kmsd: the plaintext
 * is never returned. Source and destination may be the same key, to change the context.
 * An RSA source needs SourceKeyId and its RSAES SourceEncryptionAlgorithm (its ciphertext
 * names no key); an RSA destination needs DestinationEncryptionAlgorithm and no context.
 *
 * The source is checked before the destination, as AWS does: an HMAC SourceKeyId that is
 * also the destination answers IncorrectKeyException (recorded), not the destination's
 * InvalidKeyUsageException.
 */
export const reEncrypt: KmsHandler<ReEncryptRequest, ReEncryptResponse> = async (input, ctx) => {
  // DryRun with IGNORE_CIPHERTEXT checks everything but the ciphertext (the model lets
  // CiphertextBlob be absent only for that).
  const ignoreCiphertext = input.DryRun === true && (input.DryRunModifiers ?? []).includes('IGNORE_CIPHERTEXT');
  if (ignoreCiphertext) {
    await destinationKey(input, ctx);
    assertDryRun(true);
  }
  if (input.CiphertextBlob === undefined) throw validationError('ciphertextBlob', null, 'Member must not be null');
  const sourceAlgorithm = input.SourceEncryptionAlgorithm ?? 'SYMMETRIC_DEFAULT';
  const source: { key: KeyRow; plaintext: Buffer; materialId?: string } =
    sourceAlgorithm === 'SYMMETRIC_DEFAULT'
      ? await openBlob(
          ctx,
          input.CiphertextBlob,
          input.SourceEncryptionContext,
          input.SourceKeyId,
          input.SourceEncryptionAlgorithm,
          'ReEncrypt',
        )
      : await openRsa(ctx, input.SourceKeyId, sourceAlgorithm, input.CiphertextBlob, input.SourceEncryptionContext, 'ReEncrypt');
  const { destination, rsaDestination } = await destinationKey(input, ctx);
  assertDryRun(input.DryRun);
  const sealed = rsaDestination
    ? {
        blob: await rsaEncrypt(destination, input.DestinationEncryptionAlgorithm, source.plaintext, input.DestinationEncryptionContext),
        materialId: undefined,
      }
    : await sealWithKey(ctx, destination, source.plaintext, input.DestinationEncryptionContext);
  return {
    CiphertextBlob: sealed.blob,
    SourceKeyId: source.key.arn,
    KeyId: destination.arn,
    SourceEncryptionAlgorithm: sourceAlgorithm,
    DestinationEncryptionAlgorithm: rsaDestination ? input.DestinationEncryptionAlgorithm : 'SYMMETRIC_DEFAULT',
    SourceKeyMaterialId: source.materialId,
    DestinationKeyMaterialId: sealed.materialId,
  };
};
