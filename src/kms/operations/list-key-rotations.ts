import type { ListKeyRotationsRequest, ListKeyRotationsResponse, RotationsListEntry } from '../../generated/kms.js';
import { UnsupportedOperationException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { findKey } from '../keys.js';
import { assertRotatable } from '../rotation.js';
import { pageArray, pageFields } from '../pagination.js';
import { importFields, pendingRotation } from '../imported-material.js';

/**
 * ListKeyRotations: completed rotations, oldest first. With IncludeKeyMaterial=ALL_KEY_MATERIAL
 * the original material (which has no rotation date) comes first. For a symmetric key with
 * imported material each entry also shows its import state and expiration, and
 * ALL_KEY_MATERIAL ends with material waiting for RotateKeyOnDemand (PENDING_ROTATION).
 */
export const listKeyRotations: KmsHandler<ListKeyRotationsRequest, ListKeyRotationsResponse> = async (input, ctx) => {
  const key = await findKey(ctx, input.KeyId, { allowAlias: false });
  const external = key.origin === 'EXTERNAL' && !key.customKeyStoreId;
  if (!external) assertRotatable(key);
  else if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
    throw new UnsupportedOperationException(`${key.arn} key spec is ${key.keySpec} which is not valid for this operation.`);
  }
  const now = ctx.now.getTime();
  const material = (materialId: string): RotationsListEntry => ({
    KeyId: key.keyId,
    KeyMaterialId: materialId,
    KeyMaterialState: materialId === key.currentMaterialId ? 'CURRENT' : 'NON_CURRENT',
    ...(external ? importFields(key, materialId, now) : {}),
  });
  const entries: RotationsListEntry[] = key.rotations.map((r) => ({
    ...material(r.KeyMaterialId),
    RotationDate: new Date(r.RotationDate),
    RotationType: r.RotationType,
  }));
  if (input.IncludeKeyMaterial === 'ALL_KEY_MATERIAL') {
    if (key.materialIds.length > 0) entries.unshift(material(key.materialIds[0]));
    const pending = external ? pendingRotation(key) : undefined;
    if (pending) entries.push(material(pending.materialId));
  }
  const page = pageArray(entries, input.Limit, input.Marker);
  return { Rotations: page.items, ...pageFields(page.next) };
};
