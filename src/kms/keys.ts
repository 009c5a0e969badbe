/**
 * KMS keys: the stored row, how a `KeyId` argument finds one, the key-state rules of
 * AWS's key-state table (ciphertext-and-crypto.md §5.1), and KeyMetadata.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Scope, Table, Store } from '../store/store.js';
import type { KeyMetadata, KeySpec, KeyState, KeyUsageType, OriginType } from '../generated/kms.js';
import { DisabledException, InvalidArnException, KMSInvalidStateException, NotFoundException } from '../generated/kms.js';
import type { KmsContext } from './context.js';
import { aliasTable } from './aliases.js';
import { algorithmsOf, customerMasterKeySpecOf } from './key-specs.js';
import { currentImport, materialMissing, nextMaterialExpiry } from './imported-material.js';
import type { ImportedMaterial } from './imported-material.js';

export interface Tag {
  TagKey: string;
  TagValue: string;
}

export interface RotationRecord {
  KeyMaterialId: string;
  /** epoch ms */
  RotationDate: number;
  RotationType: 'AUTOMATIC' | 'ON_DEMAND';
}

export interface KeyRow {
  keyId: string;
  arn: string;
  account: string;
  region: string;
  /** epoch ms */
  creationDate: number;
  description: string;
  keyUsage: KeyUsageType;
  keySpec: KeySpec;
  origin: OriginType;
  /** The stored state; Unavailable is derived from the custom key store (effectiveState). */
  state: Exclude<KeyState, 'Unavailable'>;
  /** epoch ms, while PendingDeletion */
  deletionDate?: number;
  pendingWindowInDays?: number;
  policy: string;
  tags: Tag[];
  /** '' for a key with imported material (origin EXTERNAL) before its first import. */
  currentMaterialId: string;
  /** Every material version, oldest first; all of them still decrypt. */
  materialIds: string[];
  rotation: {
    enabled: boolean;
    periodInDays?: number;
    /** epoch ms of the next automatic rotation, when enabled */
    nextRotationDate?: number;
  };
  rotations: RotationRecord[];
  customKeyStoreId?: string;
  cloudHsmClusterId?: string;
  /** Asymmetric keys: the DER SubjectPublicKeyInfo, base64 (public, so kept in the clear). */
  publicKey?: string;
  /** Origin EXTERNAL: every material version imported so far, in import order (imported-material.ts). */
  imports?: ImportedMaterial[];
}

export const keyTable = (store: Store): Table<KeyRow> => store.table<KeyRow>('kms_keys');

/**
 * The sweeper's next deadline for a key: the end of its deletion window, its next rotation, or
 * the expiry of imported material, whichever comes first. AWS does not rotate a key while it
 * is disabled; re-enabling it saves the row again, so a rotation that fell due meanwhile
 * happens on the next sweep.
 */
export function dueOf(key: KeyRow): number | null {
  let due: number | null = null;
  if (key.state === 'PendingDeletion' && key.deletionDate !== undefined) due = key.deletionDate;
  else if (key.state === 'Enabled' && key.rotation.enabled && key.rotation.nextRotationDate !== undefined) {
    due = key.rotation.nextRotationDate;
  }
  const expiry = nextMaterialExpiry(key);
  return expiry !== undefined && (due === null || expiry < due) ? expiry : due;
}

export async function saveKey(ctx: Pick<KmsContext, 'deps'>, key: KeyRow): Promise<void> {
  await keyTable(ctx.deps.store).put({ account: key.account, region: key.region }, key.keyId, key, { due: dueOf(key) });
}

export function newKeyId(): string {
  return randomUUID();
}

/** KeyMaterialId / BackingKeyIdType: 64 lower-case hex characters. */
export function newMaterialId(): string {
  return randomBytes(32).toString('hex');
}

export function keyArn(scope: Scope, keyId: string): string {
  return `arn:aws:kms:${scope.region}:${scope.account}:key/${keyId}`;
}

export function aliasArn(scope: Scope, aliasName: string): string {
  return `arn:aws:kms:${scope.region}:${scope.account}:${aliasName}`;
}

export function defaultKeyPolicy(account: string): string {
  // The policy AWS writes when CreateKey gets no Policy, in AWS's own formatting.
  return `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::${account}:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`;
}

const KEY_ID_RE = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const ARN_RE = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(key\/.+|alias\/.+)$/;

export interface FindKeyOptions {
  /** Whether an alias name or alias ARN may name the key (crypto and DescribeKey: yes). */
  allowAlias: boolean;
}

/**
 * Finds the key a `KeyId` argument names: key id, key ARN, alias name or alias ARN.
 * Another account's or region's ARN is NotFoundException: kmsd never reveals whether it
 * exists. A key whose deletion window has passed is deleted now (lazy sweep), then not found.
 */
export async function findKey(ctx: KmsContext, keyIdArg: string, options: FindKeyOptions): Promise<KeyRow> {
  let keyId: string;
  if (keyIdArg.startsWith('arn:')) {
    const m = ARN_RE.exec(keyIdArg);
    if (!m) throw new InvalidArnException(`Invalid arn ${keyIdArg}`);
    const [, region, account, resource] = m;
    if (region !== ctx.scope.region || account !== ctx.scope.account) {
      throw new NotFoundException(`${resource.startsWith('alias/') ? 'Alias' : 'Key'} '${keyIdArg}' does not exist`);
    }
    if (resource.startsWith('alias/')) {
      if (!options.allowAlias) throw new NotFoundException(`Invalid keyId '${keyIdArg}'`);
      keyId = await aliasTarget(ctx, resource, keyIdArg);
    } else {
      keyId = resource.slice('key/'.length);
    }
  } else if (keyIdArg.startsWith('alias/')) {
    if (!options.allowAlias) throw new NotFoundException(`Invalid keyId '${keyIdArg}'`);
    keyId = await aliasTarget(ctx, keyIdArg, aliasArn(ctx.scope, keyIdArg));
  } else {
    keyId = keyIdArg;
  }
  if (!KEY_ID_RE.test(keyId)) throw new NotFoundException(`Invalid keyId '${keyIdArg}'`);
  const key = await keyTable(ctx.deps.store).get(ctx.scope, keyId);
  if (!key || (await expireIfDue(ctx, key))) {
    throw new NotFoundException(`Key '${keyArn(ctx.scope, keyId)}' does not exist`);
  }
  return key;
}

async function aliasTarget(ctx: KmsContext, aliasName: string, shownAs: string): Promise<string> {
  const alias = await aliasTable(ctx.deps.store).get(ctx.scope, aliasName);
  if (!alias) throw new NotFoundException(`Alias ${shownAs} is not found.`);
  return alias.targetKeyId;
}

/** Hook set by the deletion module, so lookups see a key whose window has passed as gone. */
let finalDeletion: ((ctx: KmsContext, key: KeyRow) => Promise<void>) | undefined;
export function onFinalDeletion(fn: (ctx: KmsContext, key: KeyRow) => Promise<void>): void {
  finalDeletion = fn;
}

/** Whether the key's deletion window has passed; if so it is deleted now (when the hook is set). */
export async function expireIfDue(ctx: KmsContext, key: KeyRow): Promise<boolean> {
  if (key.state !== 'PendingDeletion' || key.deletionDate === undefined || key.deletionDate > ctx.now.getTime()) return false;
  if (finalDeletion) await finalDeletion(ctx, key);
  return true;
}

/**
 * A management change to one key as one atomic read-modify-write: `change` checks the key
 * and mutates it (or throws, and nothing is stored); the row is then saved.
 */
export async function updateKey<R>(
  ctx: KmsContext,
  keyIdArg: string,
  options: FindKeyOptions,
  change: (key: KeyRow) => R | Promise<R>,
): Promise<R> {
  return ctx.deps.store.transaction(async () => {
    const key = await findKey(ctx, keyIdArg, options);
    const result = await change(key);
    await saveKey(ctx, key);
    return result;
  });
}

/** The state AWS reports: a key in a disconnected custom key store is Unavailable. */
export async function effectiveState(ctx: KmsContext, key: KeyRow): Promise<KeyState> {
  if (key.customKeyStoreId && key.state !== 'PendingDeletion') {
    const backend = ctx.deps.customKeyStoreBackend;
    if (!backend || !(await backend.isConnected(ctx.scope, key.customKeyStoreId))) return 'Unavailable';
  }
  // Imported material past its ValidTo is gone at once, even before the sweeper stores it.
  if (key.origin === 'EXTERNAL' && (key.state === 'Enabled' || key.state === 'Disabled') && materialMissing(key, ctx.now.getTime())) {
    return 'PendingImport';
  }
  return key.state;
}

/**
 * Cryptographic operations (Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, ...):
 * only an Enabled key works; the errors are those of the key-state table.
 */
export async function assertUsableForCrypto(ctx: KmsContext, key: KeyRow): Promise<void> {
  const state = await effectiveState(ctx, key);
  switch (state) {
    case 'Enabled':
      return;
    case 'Disabled':
      throw new DisabledException(`${key.arn} is disabled.`);
    case 'PendingDeletion':
      throw new KMSInvalidStateException(`${key.arn} is pending deletion.`);
    case 'PendingImport':
      throw new KMSInvalidStateException(`${key.arn} is pending import.`);
    case 'Unavailable':
      throw new KMSInvalidStateException(`${key.arn} is unavailable.`);
    case 'Creating':
      throw new KMSInvalidStateException(`${key.arn} is creating.`);
    case 'Updating':
      return; // Updating keys still serve cryptographic operations.
    case 'PendingReplicaDeletion':
      throw new KMSInvalidStateException(`${key.arn} is pending replica deletion.`);
  }
}

/** Management operations that a key pending deletion refuses (CreateAlias, tags, description, ...). */
export function assertNotPendingDeletion(key: KeyRow): void {
  if (key.state === 'PendingDeletion') throw new KMSInvalidStateException(`${key.arn} is pending deletion.`);
}

/** EnableKey and DisableKey refuse a key whose imported material is missing (key-state table, note 5). */
export function assertNotPendingImport(ctx: Pick<KmsContext, 'now'>, key: KeyRow): void {
  if (key.state === 'PendingImport' || (key.origin === 'EXTERNAL' && materialMissing(key, ctx.now.getTime()))) {
    throw new KMSInvalidStateException(`${key.arn} is pending import.`);
  }
}

export async function keyMetadata(ctx: KmsContext, key: KeyRow): Promise<KeyMetadata> {
  const state = await effectiveState(ctx, key);
  const md: KeyMetadata = {
    AWSAccountId: key.account,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: new Date(key.creationDate),
    Enabled: state === 'Enabled',
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: state,
    Origin: key.origin,
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: customerMasterKeySpecOf(key.keySpec),
    KeySpec: key.keySpec,
    ...algorithmsOf(key.keySpec, key.keyUsage),
    MultiRegion: false,
    // Documented only for AWS_KMS / EXTERNAL origins: a CloudHSM key's material never rotates.
    CurrentKeyMaterialId: key.origin === 'AWS_CLOUDHSM' ? undefined : key.currentMaterialId,
  };
  if (key.origin === 'EXTERNAL') {
    // As recorded from AWS: only symmetric keys show CurrentKeyMaterialId, once material was
    // imported (and still after it is deleted); ExpirationModel and ValidTo describe the
    // current material while it is imported.
    if (key.keySpec !== 'SYMMETRIC_DEFAULT' || key.currentMaterialId === '') delete md.CurrentKeyMaterialId;
    const current = currentImport(key, ctx.now.getTime());
    if (current) {
      md.ExpirationModel = current.expirationModel;
      if (current.validTo !== undefined) md.ValidTo = new Date(current.validTo);
    }
  }
  if (key.state === 'PendingDeletion') {
    md.DeletionDate = key.deletionDate === undefined ? undefined : new Date(key.deletionDate);
    md.PendingDeletionWindowInDays = key.pendingWindowInDays;
  }
  if (key.customKeyStoreId) {
    md.CustomKeyStoreId = key.customKeyStoreId;
    md.CloudHsmClusterId = key.cloudHsmClusterId;
  }
  return md;
}

/** What the key's backend needs in order to seal or open with one material version. */
export function backendRef(key: KeyRow, materialId: string) {
  return {
    scope: { account: key.account, region: key.region },
    keyId: key.keyId,
    arn: key.arn,
    materialId,
    customKeyStoreId: key.customKeyStoreId,
  };
}

export function backendFor(ctx: KmsContext, key: KeyRow) {
  if (key.customKeyStoreId) {
    const backend = ctx.deps.customKeyStoreBackend;
    if (!backend) throw new KMSInvalidStateException(`${key.arn} is unavailable.`);
    return backend;
  }
  return ctx.deps.localKeys;
}
