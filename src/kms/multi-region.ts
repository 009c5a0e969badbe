/**
 * Multi-Region keys (`mrk-` ids): a primary key and its replicas in other Regions of the same
 * account. As in AWS, they share the key id, key spec, key usage, origin, key material and
 * the automatic rotation setting; each keeps its own state, description, policy, tags,
 * aliases and grants. Rotation is managed on the primary only and reaches every replica.
 *
 * How material is shared: every Region's key row has its own copy of each material version,
 * wrapped under the root key with *that Region's key ARN* as AAD (keystores/local-key-backend.ts).
 * ReplicateKey re-wraps each version for the replica, and a rotation wraps the new version
 * once per related key. So a wrapped copy opens only for the key it was made for, each
 * Region's row stays self-contained (lookups, the material cache and final deletion work per
 * Region as for any key), and deleting one Region's key destroys only that Region's copies
 * while its relatives keep decrypting. Ciphertexts name the key id and material version, not
 * the Region, so a blob made in one Region opens with the related key in another.
 *
 * The Regions of the family (`KeyRow.multiRegion`) are copied into every related row and
 * changed together in one transaction; so are the other shared properties.
 */
import { randomBytes } from 'node:crypto';
import { DAY_MS } from '../core/clock.js';
import { UnsupportedOperationException } from '../generated/kms.js';
import type { KmsContext } from './context.js';
import { backendRef, keyTable, onSharedPropertiesChanged, saveKey } from './keys.js';
import type { KeyRow } from './keys.js';

/** `mrk-` and 32 lower-case hex digits, the id form AWS gives multi-Region keys. */
export function newMultiRegionKeyId(): string {
  return `mrk-${randomBytes(16).toString('hex')}`;
}

export function isPrimaryKey(key: KeyRow): boolean {
  return key.multiRegion !== undefined && key.multiRegion.primaryRegion === key.region;
}

export function hasReplicas(key: KeyRow): boolean {
  return isPrimaryKey(key) && (key.multiRegion?.replicaRegions.length ?? 0) > 0;
}

/**
 * ReplicateKey, UpdatePrimaryRegion and the rotation settings act on a multi-Region primary
 * only. The text is AWS's, recorded for ReplicateKey on a replica (LS
 * test_replicate_replica_key_should_fail); kmsd uses it for single-Region keys too.
 */
export function assertPrimaryKey(key: KeyRow): void {
  if (!isPrimaryKey(key)) throw new UnsupportedOperationException(`${key.arn} is not a multi-region primary key.`);
}

/** The Regions of the key's relatives (the primary's and the replicas'), without its own. */
function relatedRegions(key: KeyRow): string[] {
  if (!key.multiRegion) return [];
  const { primaryRegion, replicaRegions } = key.multiRegion;
  return [primaryRegion, ...replicaRegions].filter((region) => region !== key.region);
}

/** The stored rows of the key's relatives in the other Regions. */
export async function relatedKeys(ctx: Pick<KmsContext, 'deps'>, key: KeyRow): Promise<KeyRow[]> {
  const rows: KeyRow[] = [];
  for (const region of relatedRegions(key)) {
    const row = await keyTable(ctx.deps.store).get({ account: key.account, region }, key.keyId);
    if (row) rows.push(row);
  }
  return rows;
}

/** Copies the properties AWS shares across a multi-Region family from `key` into every relative. */
export async function shareWithRelated(ctx: Pick<KmsContext, 'deps'>, key: KeyRow): Promise<void> {
  if (!key.multiRegion) return;
  for (const related of await relatedKeys(ctx, key)) {
    related.multiRegion = structuredClone(key.multiRegion);
    related.materialIds = [...key.materialIds];
    related.currentMaterialId = key.currentMaterialId;
    related.rotations = structuredClone(key.rotations);
    related.rotation = { ...key.rotation };
    related.publicKey = key.publicKey;
    await saveKey(ctx, related);
  }
}

/** Wraps every material version of `from` for `to` (a new replica), under `to`'s own ARN. */
export async function copyMaterial(ctx: Pick<KmsContext, 'deps'>, from: KeyRow, to: KeyRow): Promise<void> {
  for (const materialId of from.materialIds) {
    const material = await ctx.deps.localKeys.rawMaterial(backendRef(from, materialId));
    try {
      await ctx.deps.localKeys.storeMaterial(backendRef(to, materialId), material);
    } finally {
      material.fill(0);
    }
  }
}

/**
 * A new symmetric material version for a multi-Region key (rotation): the same 32 random
 * bytes, wrapped once for the key and once for each relative.
 */
export async function createSharedMaterial(ctx: Pick<KmsContext, 'deps'>, key: KeyRow, materialId: string): Promise<void> {
  const material = randomBytes(32);
  try {
    for (const k of [key, ...(await relatedKeys(ctx, key))]) {
      await ctx.deps.localKeys.storeMaterial(backendRef(k, materialId), material);
    }
  } finally {
    material.fill(0);
  }
}

/**
 * After a key of a family is deleted for good: its Region leaves the family, and a primary
 * that waited in PendingReplicaDeletion for its last replica starts its own waiting period
 * (AWS: the window begins when the last replica is deleted, i.e. when that replica's window
 * ended, even if kmsd notices later). Runs in the deletion's transaction.
 */
export async function leaveFamily(ctx: Pick<KmsContext, 'deps'>, deleted: KeyRow): Promise<void> {
  const deletedAt = deleted.deletionDate ?? ctx.deps.clock.now().getTime();
  for (const related of await relatedKeys(ctx, deleted)) {
    if (!related.multiRegion) continue;
    related.multiRegion.replicaRegions = related.multiRegion.replicaRegions.filter((r) => r !== deleted.region);
    if (related.state === 'PendingReplicaDeletion' && !hasReplicas(related)) {
      related.state = 'PendingDeletion';
      related.deletionDate = deletedAt + (related.pendingWindowInDays ?? 30) * DAY_MS;
    }
    await saveKey(ctx, related);
  }
}

/** Puts a key into Updating (UpdatePrimaryRegion) until `until`, keeping the state it returns to. */
export function startUpdating(key: KeyRow, until: number): void {
  const then = key.transition?.then ?? (key.state === 'Disabled' ? 'Disabled' : 'Enabled');
  key.state = 'Updating';
  key.transition = { until, then };
}

export function registerMultiRegionKeys(): void {
  onSharedPropertiesChanged(shareWithRelated);
}
