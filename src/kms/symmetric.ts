/**
 * Symmetric encryption with a KMS key, shared by Encrypt, Decrypt, ReEncrypt and the
 * GenerateDataKey operations. The key's backend (kmsd's own store or a CloudHSM cluster)
 * seals the body; this module owns the blob header and the AAD.
 */
import type { KmsOperationName } from '../generated/kms.js';
import { IncorrectKeyException, InvalidKeyUsageException } from '../generated/kms.js';
import type { KmsContext } from './context.js';
import { buildHeader, invalidCiphertext, parseCiphertext } from './ciphertext.js';
import { encodeEncryptionContext } from './encryption-context.js';
import type { EncryptionContext } from './encryption-context.js';
import { assertUsableForCrypto, backendFor, backendRef, findKey, keyUsageError, loadKey } from './keys.js';
import { authorizeKey } from './authorization.js';
import type { KeyRow } from './keys.js';

export function assertSymmetricEncryptionKey(key: KeyRow, algorithm: string | undefined, operation: KmsOperationName): void {
  if (key.keyUsage !== 'ENCRYPT_DECRYPT' || key.keySpec !== 'SYMMETRIC_DEFAULT') throw keyUsageError(key, operation);
  if (algorithm !== undefined && algorithm !== 'SYMMETRIC_DEFAULT') {
    throw new InvalidKeyUsageException(`The encryption algorithm ${algorithm} is not valid for ${key.arn}.`);
  }
}

/** AWS's refusal when a ciphertext's key is not one the caller may use (§3.3). */
export const CIPHERTEXT_KEY_NOT_ACCESSIBLE =
  'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.';

/** The account of a key ARN or alias ARN in this Region when it is not the caller's. */
function foreignAccountOf(ctx: KmsContext, keyIdArg: string): string | undefined {
  const m = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):/.exec(keyIdArg);
  return m && m[1] === ctx.scope.region && m[2] !== ctx.scope.account ? m[2] : undefined;
}

/** Encrypts under the key's current material. The key must already be usable. */
export async function sealWithKey(
  ctx: KmsContext,
  key: KeyRow,
  plaintext: Buffer,
  context: EncryptionContext | undefined,
): Promise<{ blob: Buffer; materialId: string }> {
  const materialId = key.currentMaterialId;
  const header = buildHeader(key.keyId, materialId);
  const aad = Buffer.concat([header, encodeEncryptionContext(context)]);
  const body = await backendFor(ctx, key).seal(backendRef(key, materialId), plaintext, aad);
  return { blob: Buffer.concat([header, body]), materialId };
}

/**
 * Decrypts a blob made by sealWithKey. The key comes from the blob's header; a `KeyId`
 * argument, when given, must name that same key (IncorrectKeyException otherwise).
 */
export async function openBlob(
  ctx: KmsContext,
  blob: Buffer,
  context: EncryptionContext | undefined,
  keyIdArg: string | undefined,
  algorithm: string | undefined,
  operation: 'Decrypt' | 'ReEncrypt',
): Promise<{ key: KeyRow; plaintext: Buffer; materialId: string }> {
  const { header, body } = parseCiphertext(blob);
  // The blob names its key by id; a KeyId ARN of another account in this Region says whose
  // key it is (cross-account Decrypt), otherwise it is the caller's own.
  const foreign = keyIdArg === undefined ? undefined : foreignAccountOf(ctx, keyIdArg);
  const scope = foreign === undefined ? ctx.scope : { account: foreign, region: ctx.scope.region };
  // A blob naming a key this account does not have here (deleted, past its deletion window,
  // foreign) cannot be opened. A multi-Region key's blob opens with its relative in this Region.
  const key = await loadKey(ctx, header.keyId, scope);
  if (!key || !key.materialIds.includes(header.materialId)) throw invalidCiphertext();
  if (keyIdArg !== undefined) {
    const named = await findKey(ctx, keyIdArg, { allowAlias: true, authorize: false, crossAccountLookup: true });
    if (named.keyId !== key.keyId) {
      throw new IncorrectKeyException('The key ID in the request does not identify a CMK that can perform this operation.');
    }
  }
  await authorizeKey(ctx, key, {
    action: ctx.operation === 'ReEncrypt' ? 'kms:ReEncryptFrom' : 'kms:Decrypt',
    // AWS words a refused Decrypt of another account's ciphertext as if the key did not
    // exist, so a caller learns nothing about keys it may not use (§3.3).
    deniedMessage: foreign === undefined ? undefined : CIPHERTEXT_KEY_NOT_ACCESSIBLE,
  });
  await assertUsableForCrypto(ctx, key);
  assertSymmetricEncryptionKey(key, algorithm, operation);
  const aad = Buffer.concat([header.bytes, encodeEncryptionContext(context)]);
  // A body that fails authentication becomes InvalidCiphertextException (keystore-errors.ts).
  const plaintext = await backendFor(ctx, key).open(backendRef(key, header.materialId), body, aad);
  return { key, plaintext, materialId: header.materialId };
}
