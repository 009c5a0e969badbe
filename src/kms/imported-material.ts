/**
 * Keys with imported key material (origin EXTERNAL): which material versions a key has, their
 * import state and expiry, and what the key state follows from them.
 *
 * A key is created PendingImport with no material. Each import is an entry of `key.imports`;
 * an entry whose id is in `key.materialIds` is CURRENT or NON_CURRENT, one that is not yet
 * there is PENDING_ROTATION (a NEW_KEY_MATERIAL import that RotateKeyOnDemand will make
 * current). AWS requires every material version of the key to be imported for it to be usable
 * ("you will need to import all of the key materials ... to change its state to Enabled").
 *
 * Expiry (ValidTo) is applied on the service clock twice: the sweeper deletes the material and
 * stores PendingImport once ValidTo passes, and until it has, reads compute the same state
 * without writing (`materialMissing`).
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { ExpirationModelType, ImportState, KeyMaterialState, KeySpec, RotationsListEntry } from '../generated/kms.js';
import { IncorrectKeyMaterialException, KMSInvalidStateException, UnsupportedOperationException } from '../generated/kms.js';
import type { KmsContext } from './context.js';
import type { KeyRow } from './keys.js';
import { backendRef } from './keys.js';
import { ECC_CURVES, HMAC_SPECS, isHmacSpec, isRsaSpec, RSA_BITS } from './key-specs.js';
import type { EccKeySpec, RsaKeySpec } from './key-specs.js';

export interface ImportedMaterial {
  materialId: string;
  description?: string;
  /** false once the material was deleted (DeleteImportedKeyMaterial) or expired and swept. */
  imported: boolean;
  expirationModel?: ExpirationModelType;
  /** epoch ms; only with KEY_MATERIAL_EXPIRES */
  validTo?: number;
}

/** Whether the entry's material is usable at `now` (imported, and not past ValidTo). */
export function isImported(entry: ImportedMaterial, now: number): boolean {
  return entry.imported && (entry.validTo === undefined || entry.validTo > now);
}

/**
 * Whether an EXTERNAL key lacks some of its material at `now`: never imported, deleted, or
 * expired (even if the sweeper has not stored that yet).
 */
export function materialMissing(key: KeyRow, now: number): boolean {
  if (key.materialIds.length === 0) return true;
  const entries = key.imports ?? [];
  return key.materialIds.some((id) => {
    const entry = entries.find((e) => e.materialId === id);
    return !entry || !isImported(entry, now);
  });
}

/** The import entry of the key's current material, if it is imported at `now`. */
export function currentImport(key: KeyRow, now: number): ImportedMaterial | undefined {
  const entry = key.imports?.find((e) => e.materialId === key.currentMaterialId);
  return entry && isImported(entry, now) ? entry : undefined;
}

/** The material imported with NEW_KEY_MATERIAL that is not yet current (at most one). */
export function pendingRotation(key: KeyRow): ImportedMaterial | undefined {
  return key.imports?.find((e) => !key.materialIds.includes(e.materialId));
}

/** The earliest ValidTo among imported material: when the sweeper must next look at the key. */
export function nextMaterialExpiry(key: KeyRow): number | undefined {
  let next: number | undefined;
  for (const e of key.imports ?? []) {
    if (e.imported && e.validTo !== undefined && (next === undefined || e.validTo < next)) next = e.validTo;
  }
  return next;
}

/** After an import or a deletion: PendingImport exactly while some material is missing. */
export function settleImportState(key: KeyRow, now: number): void {
  // AWS: deleting material does not change a key pending deletion.
  if (key.state === 'PendingDeletion' || key.state === 'PendingReplicaDeletion') return;
  if (materialMissing(key, now)) key.state = 'PendingImport';
  else if (key.state === 'PendingImport') key.state = 'Enabled';
}

/** Deletes one material version's material; the caller settles the state and saves the row. */
export async function dropMaterial(ctx: Pick<KmsContext, 'deps'>, key: KeyRow, entry: ImportedMaterial): Promise<void> {
  await ctx.deps.localKeys.destroyMaterial(backendRef(key, entry.materialId));
  entry.imported = false;
  delete entry.expirationModel;
  delete entry.validTo;
}

/**
 * The sweeper's part: deletes material whose ValidTo has passed. Returns whether anything
 * expired (the caller then saves the row).
 */
export async function expireImportedMaterial(ctx: Pick<KmsContext, 'deps'>, key: KeyRow, now: number): Promise<boolean> {
  let expired = false;
  for (const entry of key.imports ?? []) {
    if (entry.imported && entry.validTo !== undefined && entry.validTo <= now) {
      await dropMaterial(ctx, key, entry);
      expired = true;
    }
  }
  if (expired) settleImportState(key, now);
  return expired;
}

/**
 * The key specs whose material kmsd can take in (and check): symmetric, HMAC, RSA and the
 * elliptic curves node:crypto reads from PKCS #8. Others cannot be created with origin EXTERNAL.
 */
export function isImportableSpec(spec: KeySpec): boolean {
  return spec === 'SYMMETRIC_DEFAULT' || isHmacSpec(spec) || isRsaSpec(spec) || spec in ECC_CURVES || spec === 'ECC_NIST_EDWARDS25519';
}

/**
 * Checks plaintext key material against the key spec (AWS: "Requirements for imported key
 * material") and returns what to store, the public key of an asymmetric key, and the bytes
 * its KeyMaterialId is derived from. Material that does not fit is IncorrectKeyMaterialException.
 */
export function validateMaterial(key: KeyRow, material: Buffer): { stored: Buffer; identity: Buffer; publicKey?: Buffer } {
  const wrong = (why: string) => new IncorrectKeyMaterialException(`The key material is not valid for a ${key.keySpec} KMS key: ${why}.`);
  if (isHmacSpec(key.keySpec)) {
    // An HMAC key is at least the hash length, and at most one hash block (64 or 128 bytes).
    const min = HMAC_SPECS[key.keySpec].bytes;
    const max = min > 32 ? 128 : 64;
    if (material.length < min || material.length > max) throw wrong(`it must be ${min} to ${max} bytes long`);
    return { stored: material, identity: material };
  }
  if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: material, format: 'der', type: 'pkcs8' });
    } catch {
      throw wrong('it must be a DER-encoded PKCS #8 private key');
    }
    if (!matchesSpec(privateKey, key.keySpec as RsaKeySpec | EccKeySpec)) throw wrong(`the private key is not a ${key.keySpec} key`);
    const publicKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    // Stored re-encoded, so what is kept does not depend on how the caller encoded it; the
    // public key identifies the material (the same key in another encoding is the same material).
    return { stored: privateKey.export({ format: 'der', type: 'pkcs8' }), identity: publicKey, publicKey };
  }
  if (material.length !== 32) throw wrong('it must be 256 bits (32 bytes)');
  return { stored: material, identity: material };
}

function matchesSpec(privateKey: KeyObject, spec: RsaKeySpec | EccKeySpec): boolean {
  const details = privateKey.asymmetricKeyDetails;
  if (spec in RSA_BITS) return privateKey.asymmetricKeyType === 'rsa' && details?.modulusLength === RSA_BITS[spec as RsaKeySpec];
  if (spec === 'ECC_NIST_EDWARDS25519') return privateKey.asymmetricKeyType === 'ed25519';
  return privateKey.asymmetricKeyType === 'ec' && details?.namedCurve === ECC_CURVES[spec as Exclude<EccKeySpec, 'ECC_NIST_EDWARDS25519'>];
}

/**
 * RotateKeyOnDemand for a symmetric key with imported material: the material imported with
 * NEW_KEY_MATERIAL becomes current (AWS: only symmetric encryption keys; messages recorded
 * from AWS). The caller has checked that the key is usable.
 */
export function rotateToImportedMaterial(key: KeyRow, now: number): void {
  if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
    throw new UnsupportedOperationException(`${key.arn} key spec is ${key.keySpec} which is not valid for this operation.`);
  }
  const pending = pendingRotation(key);
  if (!pending || !isImported(pending, now)) {
    throw new KMSInvalidStateException(`No available key material pending rotation for the key: ${key.arn}.`);
  }
  key.materialIds.push(pending.materialId);
  key.currentMaterialId = pending.materialId;
  key.rotations.push({ KeyMaterialId: pending.materialId, RotationDate: now, RotationType: 'ON_DEMAND' });
}

/** ListKeyRotations' view of one material version of an EXTERNAL key. */
export function importFields(key: KeyRow, materialId: string, now: number): Partial<RotationsListEntry> {
  const entry = key.imports?.find((e) => e.materialId === materialId);
  if (!entry) return {};
  const imported = isImported(entry, now);
  const importState: ImportState = imported ? 'IMPORTED' : 'PENDING_IMPORT';
  let materialState: KeyMaterialState = 'NON_CURRENT';
  if (materialId === key.currentMaterialId) materialState = 'CURRENT';
  else if (!key.materialIds.includes(materialId)) materialState = 'PENDING_ROTATION';
  return {
    KeyMaterialDescription: entry.description,
    ImportState: importState,
    KeyMaterialState: materialState,
    ExpirationModel: imported ? entry.expirationModel : undefined,
    ValidTo: imported && entry.validTo !== undefined ? new Date(entry.validTo) : undefined,
  };
}
