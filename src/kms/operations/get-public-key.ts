import type { GetPublicKeyRequest, GetPublicKeyResponse } from '../../generated/kms.js';
import { UnsupportedOperationException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { assertUsableForCrypto, findKey } from '../keys.js';
import { algorithmsOf, customerMasterKeySpecOf } from '../key-specs.js';

/**
 * GetPublicKey: the DER SubjectPublicKeyInfo of an asymmetric key, with what it may be used
 * for. Like Sign in the key-state table: only an Enabled key answers. A symmetric or HMAC
 * key has no public key (UnsupportedOperationException, as AWS).
 */
export const getPublicKey: KmsHandler<GetPublicKeyRequest, GetPublicKeyResponse> = async (input, ctx) => {
  const key = await findKey(ctx, input.KeyId, { allowAlias: true });
  await assertUsableForCrypto(ctx, key);
  if (key.publicKey === undefined) {
    throw new UnsupportedOperationException(`${key.arn} key spec is ${key.keySpec} which is not valid for this operation.`);
  }
  return {
    KeyId: key.arn,
    PublicKey: Buffer.from(key.publicKey, 'base64'),
    CustomerMasterKeySpec: customerMasterKeySpecOf(key.keySpec),
    KeySpec: key.keySpec,
    KeyUsage: key.keyUsage,
    ...algorithmsOf(key.keySpec, key.keyUsage),
  };
};
