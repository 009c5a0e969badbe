import type { GetParametersForImportRequest, GetParametersForImportResponse } from '../../generated/kms.js';
import { UnsupportedOperationException } from '../../generated/kms.js';
import { ValidationException } from '../../core/service-error.js';
import type { RsaWrappingKeySpec, WrappingAlgorithm } from '../../keystores/key-imports.js';
import type { KmsHandler } from '../context.js';
import { assertImportable } from '../import-checks.js';
import { findKey } from '../keys.js';

/**
 * GetParametersForImport: a fresh RSA wrapping public key (DER SubjectPublicKeyInfo) and the
 * import token that goes with it, both valid for 24 hours. Only for keys of origin EXTERNAL,
 * in any state but PendingDeletion (key-state table, notes 8 and 9).
 */
export const getParametersForImport: KmsHandler<GetParametersForImportRequest, GetParametersForImportResponse> = async (input, ctx) => {
  const key = await findKey(ctx, input.KeyId, { allowAlias: false });
  assertImportable(key);
  const { algorithm, spec } = wrappingChoice(input.WrappingAlgorithm, input.WrappingKeySpec);
  const params = await ctx.deps.imports.createParameters(ctx.scope, key.arn, algorithm, spec, ctx.now.getTime());
  return { KeyId: key.arn, ImportToken: params.importToken, PublicKey: params.publicKey, ParametersValidTo: new Date(params.validTo) };
};

function wrappingChoice(
  algorithm: GetParametersForImportRequest['WrappingAlgorithm'],
  spec: GetParametersForImportRequest['WrappingKeySpec'],
) {
  // SM2 wrapping (SM2PKE) exists only in AWS's China Regions, and kmsd has no SM2.
  if (algorithm === 'SM2PKE' || spec === 'SM2') {
    throw new UnsupportedOperationException('The SM2 wrapping key spec and SM2PKE wrapping algorithm are available only in China Regions.');
  }
  // AWS stopped accepting RSAES_PKCS1_V1_5 for imports in 2023 (and OpenSSL-based Node refuses
  // PKCS #1 v1.5 decryption), so it is refused rather than silently weakened.
  if (algorithm === 'RSAES_PKCS1_V1_5') {
    throw new ValidationException(
      'The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported; use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256.',
    );
  }
  const choice: { algorithm: WrappingAlgorithm; spec: RsaWrappingKeySpec } = { algorithm, spec };
  return choice;
}
