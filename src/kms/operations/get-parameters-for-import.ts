import type { GetParametersForImportRequest, GetParametersForImportResponse } from '../../generated/kms.js';
import { UnsupportedOperationException } from '../../generated/kms.js';
import { ValidationException } from '../../core/service-error.js';
import type { WrappingChoice } from '../../keystores/key-imports.js';
import { isSm2Region } from '../sm2.js';
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
  const choice = wrappingChoice(input.WrappingAlgorithm, input.WrappingKeySpec, ctx.scope.region);
  const params = await ctx.deps.imports.createParameters(ctx.scope, key.arn, choice, ctx.now.getTime());
  return { KeyId: key.arn, ImportToken: params.importToken, PublicKey: params.publicKey, ParametersValidTo: new Date(params.validTo) };
};

function wrappingChoice(
  algorithm: GetParametersForImportRequest['WrappingAlgorithm'],
  spec: GetParametersForImportRequest['WrappingKeySpec'],
  region: string,
): WrappingChoice {
  if (algorithm === 'SM2PKE' || spec === 'SM2') {
    // SM2 wrapping (SM2PKE with an SM2 key) exists only in AWS's China Regions, as SM2 keys do.
    if (!isSm2Region(region)) {
      throw new UnsupportedOperationException(
        'The SM2 wrapping key spec and SM2PKE wrapping algorithm are available only in China Regions.',
      );
    }
    if (algorithm !== 'SM2PKE' || spec !== 'SM2') {
      throw new ValidationException(`The wrapping algorithm ${algorithm} cannot be used with the wrapping key spec ${spec}.`);
    }
    return { algorithm, spec };
  }
  // AWS stopped accepting RSAES_PKCS1_V1_5 for imports in 2023 (and OpenSSL-based Node refuses
  // PKCS #1 v1.5 decryption), so it is refused rather than silently weakened.
  if (algorithm === 'RSAES_PKCS1_V1_5') {
    throw new ValidationException(
      'The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported; use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256.',
    );
  }
  return { algorithm, spec };
}
