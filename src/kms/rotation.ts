/**
 * Key rotation: a new material version becomes current; every older version stays so old
 * ciphertexts still decrypt (the blob header names its version). Automatic rotation runs
 * from the sweeper when the service clock passes `rotation.nextRotationDate`.
 */
import { DAY_MS } from '../core/clock.js';
import { UnsupportedOperationException } from '../generated/kms.js';
import type { KmsContext } from './context.js';
import { backendRef, newMaterialId } from './keys.js';
import { assertPrimaryKey, createSharedMaterial } from './multi-region.js';
import type { KeyRow, RotationRecord } from './keys.js';

export const DEFAULT_ROTATION_PERIOD_DAYS = 365;

/**
 * Rotation exists only for symmetric encryption keys with KMS-generated material; AWS refuses
 * it for keys in custom key stores and with imported material (key-state table, note 7).
 */
export function assertRotatable(key: KeyRow): void {
  if (key.customKeyStoreId || key.origin !== 'AWS_KMS') {
    throw new UnsupportedOperationException(`${key.arn} origin is ${key.origin} which is not valid for this operation.`);
  }
  if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
    throw new UnsupportedOperationException(`${key.arn} key spec is ${key.keySpec} which is not valid for this operation.`);
  }
}

/**
 * Automatic rotation is a shared property of multi-Region keys, set on the primary only;
 * replicas show the primary's setting and receive its new versions (AWS: multi-Region keys,
 * rotating). On-demand rotation likewise runs on the primary.
 */
export function assertRotationManagedHere(key: KeyRow): void {
  if (key.multiRegion) assertPrimaryKey(key);
}

/** Adds and makes current a new material version; the caller saves the row. */
export async function rotateKey(
  ctx: Pick<KmsContext, 'deps'>,
  key: KeyRow,
  type: RotationRecord['RotationType'],
  now: number,
): Promise<void> {
  const materialId = newMaterialId();
  // A multi-Region primary's new version goes to every replica too (multi-region.ts); the
  // caller's save shares the new version list with them.
  if (key.multiRegion) await createSharedMaterial(ctx, key, materialId);
  else await ctx.deps.localKeys.createMaterial(backendRef(key, materialId));
  key.materialIds.push(materialId);
  key.currentMaterialId = materialId;
  key.rotations.push({ KeyMaterialId: materialId, RotationDate: now, RotationType: type });
  if (type === 'AUTOMATIC' && key.rotation.enabled) {
    key.rotation.nextRotationDate = now + (key.rotation.periodInDays ?? DEFAULT_ROTATION_PERIOD_DAYS) * DAY_MS;
  }
}
