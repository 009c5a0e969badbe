import type { ImportKeyMaterialRequest, ImportKeyMaterialResponse } from '../../generated/kms.js';
import {
  ExpiredImportTokenException,
  IncorrectKeyMaterialException,
  InvalidImportTokenException,
  KMSInvalidStateException,
  UnsupportedOperationException,
} from '../../generated/kms.js';
import { ValidationException } from '../../core/service-error.js';
import { DAY_MS } from '../../core/clock.js';
import { ExpiredImportTokenError, InvalidImportTokenError, UnwrapError } from '../../keystores/key-imports.js';
import type { KmsContext, KmsHandler } from '../context.js';
import { invalidCiphertext } from '../ciphertext.js';
import { assertImportable } from '../import-checks.js';
import { pendingRotation, settleImportState, validateMaterial } from '../imported-material.js';
import type { ImportedMaterial } from '../imported-material.js';
import { backendRef, updateKey } from '../keys.js';
import type { KeyRow } from '../keys.js';

/** AWS: ValidTo at most 365 days after the request. */
const MAX_VALIDITY_MS = 365 * DAY_MS;

/**
 * ImportKeyMaterial: unwraps the material with the token's wrapping key, checks it against the
 * key spec, and stores it wrapped under the root key like generated material.
 *
 * ImportType NEW_KEY_MATERIAL (the default for a key that never had material) adds material:
 * the first becomes current, later ones (symmetric keys only) wait for RotateKeyOnDemand.
 * EXISTING_KEY_MATERIAL (the default afterwards) re-imports material the key already had,
 * e.g. after deletion or expiry, or to change its expiration; other material is
 * IncorrectKeyMaterialException. The material's id is derived from the key and the material,
 * as AWS does, which is how "the same material" is recognised.
 */
export const importKeyMaterial: KmsHandler<ImportKeyMaterialRequest, ImportKeyMaterialResponse> = async (input, ctx) => {
  return updateKey(ctx, input.KeyId, { allowAlias: false }, async (key) => {
    assertImportable(key);
    const now = ctx.now.getTime();
    const expiry = expirationOf(input, now);
    const symmetric = key.keySpec === 'SYMMETRIC_DEFAULT';
    if (!symmetric && (input.KeyMaterialId !== undefined || input.KeyMaterialDescription !== undefined)) {
      throw new ValidationException('KeyMaterialId and KeyMaterialDescription are valid only for symmetric encryption KMS keys.');
    }
    const material = await unwrap(ctx, key, input);
    const { stored, identity, publicKey } = validateMaterial(key, material);
    const materialId = ctx.deps.imports.materialId(key.keyId, identity);
    const imports = (key.imports ??= []);
    const known = imports.find((e) => e.materialId === materialId);
    const importType = input.ImportType ?? (imports.length === 0 ? 'NEW_KEY_MATERIAL' : 'EXISTING_KEY_MATERIAL');

    let entry: ImportedMaterial;
    if (importType === 'NEW_KEY_MATERIAL') {
      entry = addNewMaterial(key, materialId, known, input.KeyMaterialId);
    } else {
      if (!known || (input.KeyMaterialId !== undefined && input.KeyMaterialId !== materialId)) {
        throw new IncorrectKeyMaterialException(`The key material is not the key material previously imported into ${key.arn}.`);
      }
      entry = known;
    }
    await ctx.deps.localKeys.storeMaterial(backendRef(key, materialId), stored);
    entry.imported = true;
    entry.expirationModel = expiry.model;
    if (expiry.validTo === undefined) delete entry.validTo;
    else entry.validTo = expiry.validTo;
    // AWS keeps the last description when a re-import gives none.
    if (input.KeyMaterialDescription !== undefined) entry.description = input.KeyMaterialDescription;
    if (publicKey) key.publicKey = publicKey.toString('base64');
    settleImportState(key, now);
    return { KeyId: key.arn, KeyMaterialId: materialId };
  });
};

function expirationOf(
  input: ImportKeyMaterialRequest,
  now: number,
): { model: 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE'; validTo?: number } {
  const model = input.ExpirationModel ?? 'KEY_MATERIAL_EXPIRES';
  if (model === 'KEY_MATERIAL_DOES_NOT_EXPIRE') {
    if (input.ValidTo !== undefined) {
      throw new ValidationException('A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE');
    }
    return { model };
  }
  // AWS's message, recorded.
  if (input.ValidTo === undefined)
    throw new ValidationException('A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES');
  const validTo = input.ValidTo.getTime();
  if (validTo <= now) throw new ValidationException('The validTo date must be in the future.');
  if (validTo > now + MAX_VALIDITY_MS) throw new ValidationException('The validTo date must be at most 365 days from now.');
  return { model, validTo };
}

async function unwrap(ctx: KmsContext, key: KeyRow, input: ImportKeyMaterialRequest): Promise<Buffer> {
  try {
    return await ctx.deps.imports.unwrap(ctx.scope, key.arn, input.ImportToken, input.EncryptedKeyMaterial, ctx.now.getTime());
  } catch (err) {
    if (err instanceof InvalidImportTokenError) {
      throw new InvalidImportTokenException(`The import token is not valid for ${key.arn}.`);
    }
    if (err instanceof ExpiredImportTokenError) {
      throw new ExpiredImportTokenException('The import token has expired. Call GetParametersForImport for a new one.');
    }
    // Not wrapped with this token's public key and algorithm: AWS answers InvalidCiphertextException.
    if (err instanceof UnwrapError) throw invalidCiphertext();
    throw err;
  }
}

/** A NEW_KEY_MATERIAL import: the key's first material, or (symmetric keys) the next rotation's. */
function addNewMaterial(
  key: KeyRow,
  materialId: string,
  known: ImportedMaterial | undefined,
  keyMaterialId: string | undefined,
): ImportedMaterial {
  if (keyMaterialId !== undefined) {
    throw new ValidationException('KeyMaterialId cannot be specified with ImportType NEW_KEY_MATERIAL.');
  }
  const imports = key.imports ?? [];
  if (imports.length > 0) {
    // AWS: asymmetric and HMAC keys cannot change their material after the first import.
    if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
      throw new UnsupportedOperationException(`${key.arn} key spec is ${key.keySpec} which is not valid for this operation.`);
    }
    if (known) {
      throw new IncorrectKeyMaterialException(
        `The key material is already associated with ${key.arn} (id: ${materialId}); import it with ImportType EXISTING_KEY_MATERIAL.`,
      );
    }
    const pending = pendingRotation(key);
    if (pending) {
      // AWS's message, recorded (LS test_import_key_material_raises_if_there_is_already_key_material_pending):
      // it names the key by the same string as ImportKeyMaterial's KeyId, its ARN.
      throw new KMSInvalidStateException(
        `New key material (id: ${materialId}) cannot be imported into KMS key ${key.arn}, because another key material (id: ${pending.materialId}) is pending rotation.`,
      );
    }
    if (key.state === 'PendingImport') throw new KMSInvalidStateException(`${key.arn} is pending import.`);
  }
  const entry: ImportedMaterial = { materialId, imported: false };
  imports.push(entry);
  key.imports = imports;
  // The first material is current at once; later ones become current with RotateKeyOnDemand.
  if (imports.length === 1) {
    key.materialIds = [materialId];
    key.currentMaterialId = materialId;
  }
  return entry;
}
