import type { DeleteImportedKeyMaterialRequest, DeleteImportedKeyMaterialResponse } from '../../generated/kms.js';
import { NotFoundException } from '../../generated/kms.js';
import { ValidationException } from '../../core/service-error.js';
import type { KmsHandler } from '../context.js';
import { assertExternal } from '../import-checks.js';
import { dropMaterial, pendingRotation, settleImportState } from '../imported-material.js';
import { updateKey } from '../keys.js';

/**
 * DeleteImportedKeyMaterial: deletes the current material, or the version `KeyMaterialId`
 * names. The key becomes PendingImport (unless it is pending deletion, which AWS leaves as it
 * is) and its ciphertexts cannot be decrypted until the same material is imported again.
 * On a key without material it changes nothing (key-state table: "OK (no effect)").
 */
export const deleteImportedKeyMaterial: KmsHandler<DeleteImportedKeyMaterialRequest, DeleteImportedKeyMaterialResponse> = async (
  input,
  ctx,
) => {
  return updateKey(ctx, input.KeyId, { allowAlias: false }, async (key) => {
    assertExternal(key);
    if (input.KeyMaterialId !== undefined && key.keySpec !== 'SYMMETRIC_DEFAULT') {
      throw new ValidationException('KeyMaterialId is valid only for symmetric encryption KMS keys.');
    }
    const materialId = input.KeyMaterialId ?? key.currentMaterialId;
    const entry = key.imports?.find((e) => e.materialId === materialId);
    if (!entry) {
      if (input.KeyMaterialId === undefined) return { KeyId: key.arn }; // nothing was ever imported
      throw new NotFoundException(`Key material ${input.KeyMaterialId} is not associated with ${key.arn}.`);
    }
    if (entry.imported) await dropMaterial(ctx, key, entry);
    // Material waiting for a rotation was never used: it goes entirely.
    if (entry === pendingRotation(key)) key.imports = (key.imports ?? []).filter((e) => e !== entry);
    settleImportState(key, ctx.now.getTime());
    return { KeyId: key.arn, KeyMaterialId: materialId };
  });
};
