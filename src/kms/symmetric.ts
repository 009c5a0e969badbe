/**
 * Symmetric encryption with a KMS key, shared by Encrypt, Decrypt, ReEncrypt and the
 * GenerateDataKey operations. The key's backend (kmsd's own store or a CloudHSM cluster)
 * seals the body; this module owns the blob header and the AAD.
 */
import { IncorrectKeyException, InvalidKeyUsageException } from '../generated/kms.js';
import { CiphertextAuthenticationError } from '../keystores/key-backend.js';
import type { KmsContext } from './context.js';
import { buildHeader, invalidCiphertext, parseCiphertext } from './ciphertext.js';
import { encodeEncryptionContext } from './encryption-context.js';
import type { EncryptionContext } from './encryption-context.js';
import { assertUsableForCrypto, backendFor, backendRef, findKey, loadKey } from './keys.js';
import type { KeyRow } from './keys.js';

export function assertSymmetricEncryptionKey(key: KeyRow, algorithm: string | undefined): void {
  if (key.keyUsage !== 'ENCRYPT_DECRYPT' || key.keySpec !== 'SYMMETRIC_DEFAULT') {
    throw new InvalidKeyUsageException(`${key.arn} key usage is ${key.keyUsage} which is not valid for this operation.`);
  }
  if (algorithm !== undefined && algorithm !== 'SYMMETRIC_DEFAULT') {
    throw new InvalidKeyUsageException(`The encryption algorithm ${algorithm} is not valid for ${key.arn}.`);
  }
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
): Promise<{ key: KeyRow; plaintext: Buffer; materialId: string }> {
  const { header, body } = parseCiphertext(blob);
  // A blob naming a key this account does not have here (deleted, past its deletion window,
  // foreign) cannot be opened. A multi-Region key's blob opens with its relative in this Region.
  const key = await loadKey(ctx, header.keyId);
  if (!key || !key.materialIds.includes(header.materialId)) throw invalidCiphertext();
  if (keyIdArg !== undefined) {
    const named = await findKey(ctx, keyIdArg, { allowAlias: true });
    if (named.keyId !== key.keyId) {
      throw new IncorrectKeyException('The key ID in the request does not identify a CMK that can perform this operation.');
    }
  }
  await assertUsableForCrypto(ctx, key);
  assertSymmetricEncryptionKey(key, algorithm);
  const aad = Buffer.concat([header.bytes, encodeEncryptionContext(context)]);
  try {
    const plaintext = await backendFor(ctx, key).open(backendRef(key, header.materialId), body, aad);
    return { key, plaintext, materialId: header.materialId };
  } catch (err) {
    if (err instanceof CiphertextAuthenticationError) throw invalidCiphertext();
    throw err;
  }
}
