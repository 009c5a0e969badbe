import type { ListKeyRotationsRequest, ListKeyRotationsResponse, RotationsListEntry } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { findKey } from '../keys.js';
import type { KeyRow } from '../keys.js';
import { assertRotatable } from '../rotation.js';
import { pageArray, pageFields } from '../pagination.js';

/**
 * ListKeyRotations: completed rotations, oldest first. With IncludeKeyMaterial=ALL_KEY_MATERIAL
 * the original material (which has no rotation date) comes first.
 */
export const listKeyRotations: KmsHandler<ListKeyRotationsRequest, ListKeyRotationsResponse> = async (input, ctx) => {
  const key = await findKey(ctx, input.KeyId, { allowAlias: false });
  assertRotatable(key);
  const entries: RotationsListEntry[] = key.rotations.map((r) => ({
    ...material(key, r.KeyMaterialId),
    RotationDate: new Date(r.RotationDate),
    RotationType: r.RotationType,
  }));
  if (input.IncludeKeyMaterial === 'ALL_KEY_MATERIAL') entries.unshift(material(key, key.materialIds[0]));
  const page = pageArray(entries, input.Limit, input.Marker);
  return { Rotations: page.items, ...pageFields(page.next) };
};

function material(key: KeyRow, materialId: string): RotationsListEntry {
  return {
    KeyId: key.keyId,
    KeyMaterialId: materialId,
    KeyMaterialState: materialId === key.currentMaterialId ? 'CURRENT' : 'NON_CURRENT',
  };
}
