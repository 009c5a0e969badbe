/**
 * KMS keys: the stored row, how a `KeyId` argument finds one, the key-state rules of
 * AWS's key-state table (ciphertext-and-crypto.md §5.1), and KeyMetadata.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Scope, Table, Store } from '../store/store.js';
import type { KeyMetadata, KeySpec, KeyState, KeyUsageType, MultiRegionConfiguration, OriginType } from '../generated/kms.js';
import type { KmsOperationName } from '../generated/kms.js';
import { AccessDeniedException } from '../core/service-error.js';
import {
  DisabledException,
  InvalidArnException,
  InvalidKeyUsageException,
  KMSInvalidStateException,
  NotFoundException,
} from '../generated/kms.js';
import type { KmsContext } from './context.js';
import type { SymmetricKeyBackend } from '../keystores/key-backend.js';
import { RowCache } from '../store/row-cache.js';
import { xksBackendFor } from './xks-key-stores.js';
import { aliasTable } from './aliases.js';
import { algorithmsOf, customerMasterKeySpecOf } from './key-specs.js';
import { authorizeKey } from './authorization.js';
import type { KeyAuthorization } from './authorization.js';
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
  /** Origin EXTERNAL_KEY_STORE: the external key's id at the store's XKS proxy. */
  xksKeyId?: string;
  /** Asymmetric keys: the DER SubjectPublicKeyInfo, base64 (public, so kept in the clear). */
  publicKey?: string;
  /** 'AWS' for the AWS managed keys behind `alias/aws/...` (managed-keys.ts); absent: CUSTOMER. */
  keyManager?: 'AWS';
  /**
   * Multi-Region keys (multi-region.ts): which Region holds the primary and which hold
   * replicas. Every related key's row carries the same copy, updated together.
   */
  multiRegion?: { primaryRegion: string; replicaRegions: string[] };
  /**
   * A replica being created (Creating) or a primary/replica swap in progress (Updating) ends
   * at `until` (epoch ms, service clock); the key then returns to state `then`.
   */
  transition?: { until: number; then: 'Enabled' | 'Disabled' };
  /** Origin EXTERNAL: every material version imported so far, in import order (imported-material.ts). */
  imports?: ImportedMaterial[];
}

export const KEY_TABLE = 'kms_keys';
export const keyTable = (store: Store): Table<KeyRow> => store.table<KeyRow>(KEY_TABLE);

/**
 * Every cryptographic request reads its key: from a cache of key rows that the store's change
 * feed keeps right across processes and nodes (store/row-cache.ts), rather than the store.
 */
const keyCaches = new WeakMap<Store, RowCache<KeyRow>>();
function cachedKeys(store: Store): RowCache<KeyRow> {
  let cache = keyCaches.get(store);
  if (!cache) {
    cache = new RowCache<KeyRow>(store, KEY_TABLE);
    keyCaches.set(store, cache);
  }
  return cache;
}

/**
 * The sweeper's next deadline for a key: the end of its deletion window, its next rotation, or
 * the expiry of imported material, whichever comes first. AWS does not rotate a key while it
 * is disabled; re-enabling it saves the row again, so a rotation that fell due meanwhile
 * happens on the next sweep.
 */
export function dueOf(key: KeyRow): number | null {
  let due: number | null = null;
  if (key.state === 'PendingDeletion' && key.deletionDate !== undefined) due = key.deletionDate;
  else if (key.transition) due = key.transition.until;
  else {
    // A multi-Region replica never rotates by itself: its primary's rotation reaches it.
    const rotatesHere = !key.multiRegion || key.multiRegion.primaryRegion === key.region;
    if (key.state === 'Enabled' && rotatesHere && key.rotation.enabled && key.rotation.nextRotationDate !== undefined) {
      due = key.rotation.nextRotationDate;
    }
  }
  const expiry = nextMaterialExpiry(key);
  return expiry !== undefined && (due === null || expiry < due) ? expiry : due;
}

/**
 * Ends a Creating/Updating transition whose time has come, in memory: the caller's next save
 * stores it, and the sweeper stores it for keys nobody touches (reads never write).
 */
export function settleTransition(key: KeyRow, now: number): void {
  if (key.transition && key.transition.until <= now) {
    key.state = key.transition.then;
    delete key.transition;
  }
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

/**
 * Each account's default key policy text, built once: the root's requests compare their key's
 * policy with it every time (authorization.ts). Accounts come from the configuration, so this
 * stays small; the bound is only a guard.
 */
const defaultPolicies = new Map<string, string>();

export function defaultKeyPolicy(account: string): string {
  let text = defaultPolicies.get(account);
  if (text === undefined) {
    if (defaultPolicies.size >= 1000) defaultPolicies.clear();
    text = defaultKeyPolicyText(account);
    defaultPolicies.set(account, text);
  }
  return text;
}

function defaultKeyPolicyText(account: string): string {
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
  /**
   * How the caller is authorized on the key once it is found: by default with the
   * operation's declared action (src/kms/authorization.ts); `false` only finds it (the
   * caller was authorized otherwise, e.g. ListAliases by IAM, RetireGrant by its rules).
   */
  authorize?: KeyAuthorization | false;
  /** With `authorize: false`: whether another account's key ARN may still be resolved (its caller authorizes). */
  crossAccountLookup?: boolean;
}

/**
 * Finds the key a `KeyId` argument names: key id, key ARN, alias name or alias ARN, and
 * authorizes the caller on it before any handler acts on it. A key ARN or alias ARN of
 * another account in this Region names that account's key (cross-account use, §2.4): the
 * key's policy then decides, and the operation's "cross-account use" declaration. Another
 * Region's ARN, or another account's key that does not exist, is NotFoundException.
 * A key whose deletion window has passed is deleted now (lazy sweep), then not found.
 */
export async function findKey(ctx: KmsContext, keyIdArg: string, options: FindKeyOptions): Promise<KeyRow> {
  let keyId: string;
  let scope: Scope = ctx.scope;
  let requestAlias: string | undefined;
  if (keyIdArg.startsWith('arn:')) {
    const m = ARN_RE.exec(keyIdArg);
    if (!m) throw new InvalidArnException(`Invalid arn ${keyIdArg}`);
    const [, region, account, resource] = m;
    const foreign = account !== ctx.scope.account;
    // A key ARN of another Region: AWS answers `Invalid arn <that Region>` (recorded).
    if (region !== ctx.scope.region) throw new NotFoundException(`Invalid arn ${region}`);
    if (foreign && options.authorize === false && options.crossAccountLookup !== true) {
      throw new NotFoundException(`${resource.startsWith('alias/') ? 'Alias' : 'Key'} '${keyIdArg}' does not exist`);
    }
    if (foreign) scope = { account, region };
    if (resource.startsWith('alias/')) {
      if (!options.allowAlias) throw new NotFoundException(`Invalid keyId '${keyIdArg}'`);
      keyId = await aliasTarget(ctx, scope, resource, keyIdArg);
      requestAlias = resource;
    } else {
      keyId = resource.slice('key/'.length);
    }
  } else if (keyIdArg.startsWith('alias/')) {
    if (!options.allowAlias) throw new NotFoundException(`Invalid keyId '${keyIdArg}'`);
    keyId = await aliasTarget(ctx, scope, keyIdArg, aliasArn(ctx.scope, keyIdArg));
    requestAlias = keyIdArg;
  } else {
    keyId = keyIdArg;
  }
  if (!KEY_ID_RE.test(keyId)) throw new NotFoundException(`Invalid keyId '${keyIdArg}'`);
  const key = await loadKey(ctx, keyId, scope);
  if (!key) throw new NotFoundException(`Key '${keyArn(scope, keyId)}' does not exist`);
  if (options.authorize !== false) await authorizeKey(ctx, key, { requestAlias, ...options.authorize });
  return key;
}

/**
 * The key with this id in the caller's account and Region (or `scope`, another account's, for
 * cross-account use) as of the request's time, or undefined (also once its deletion window
 * has passed).
 */
export async function loadKey(ctx: KmsContext, keyId: string, scope: Scope = ctx.scope): Promise<KeyRow | undefined> {
  const key = await cachedKeys(ctx.deps.store).get(scope, keyId);
  // Past its deletion date the key is gone for every request, though its row waits for the
  // sweeper (sweeper.ts, each second): a read never deletes.
  if (!key || isPastDeletion(key, ctx.now.getTime())) return undefined;
  settleTransition(key, ctx.now.getTime());
  return key;
}

async function aliasTarget(ctx: KmsContext, scope: Scope, aliasName: string, shownAs: string): Promise<string> {
  const alias = await aliasTable(ctx.deps.store).get(scope, aliasName);
  if (alias) return alias.targetKeyId;
  // AWS creates the AWS managed key behind a predefined alias/aws/<service> on first use
  // (in the caller's own account only).
  const own = scope.account === ctx.scope.account && scope.region === ctx.scope.region;
  const managedKeyId = own && missingAliasHook ? await missingAliasHook(ctx, aliasName) : undefined;
  if (managedKeyId === undefined) throw new NotFoundException(`Alias ${shownAs} is not found.`);
  return managedKeyId;
}

/** Hook set by managed-keys.ts: the key id behind an alias that has no row yet, if any. */
let missingAliasHook: ((ctx: KmsContext, aliasName: string) => Promise<string | undefined>) | undefined;
export function onMissingAlias(fn: (ctx: KmsContext, aliasName: string) => Promise<string | undefined>): void {
  missingAliasHook = fn;
}

/** Whether the key's deletion window has passed (epoch ms `now`): AWS then no longer has it. */
export function isPastDeletion(key: KeyRow, now: number): boolean {
  return key.state === 'PendingDeletion' && key.deletionDate !== undefined && key.deletionDate <= now;
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
    // AWS managed keys: their key policy lets the account only describe, list and read them.
    if (key.keyManager === 'AWS') throw awsManagedKeyDenied(ctx, key);
    const result = await change(key);
    await saveKey(ctx, key);
    if (sharedPropertiesHook && key.multiRegion) await sharedPropertiesHook(ctx, key);
    return result;
  });
}

/**
 * What AWS answers when a management operation targets an AWS managed key: its key policy
 * allows the account only kms:Describe*, kms:Get*, kms:List* and kms:RevokeGrant, so every
 * other direct call is an implicit deny (authorization.md §3.2, "no resource-based policy").
 */
export function awsManagedKeyDenied(ctx: KmsContext, key: KeyRow, operation = ctx.operation): AccessDeniedException {
  const action = `kms:${operation ?? 'Unknown'}`;
  return new AccessDeniedException(
    `User: ${ctx.principalArn} is not authorized to perform: ${action} on resource: ${key.arn} because no resource-based policy allows the ${action} action`,
  );
}

/** Hook set by multi-region.ts: copies a multi-Region key's shared properties to its related keys. */
let sharedPropertiesHook: ((ctx: Pick<KmsContext, 'deps'>, key: KeyRow) => Promise<void>) | undefined;
export function onSharedPropertiesChanged(fn: (ctx: Pick<KmsContext, 'deps'>, key: KeyRow) => Promise<void>): void {
  sharedPropertiesHook = fn;
}

/** The state AWS reports: a key in a disconnected custom key store is Unavailable. */
export async function effectiveState(ctx: KmsContext, key: KeyRow): Promise<KeyState> {
  if (key.customKeyStoreId && key.state !== 'PendingDeletion') {
    const backend = ctx.deps.customKeyStoreBackend;
    // The key's own account: a foreign caller sees the state of the key's store.
    const scope = { account: key.account, region: key.region };
    if (!backend || !(await backend.isConnected(scope, key.customKeyStoreId))) return 'Unavailable';
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
  // The request quota of the key's type (and its key store), when rate quotas are enforced.
  if (ctx.operation !== undefined) ctx.deps.throttle?.chargeKeyUse(ctx.scope, ctx.operation, key);
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
      // Updating keys still serve cryptographic operations, unless they were disabled before.
      if (key.transition?.then === 'Disabled') throw new DisabledException(`${key.arn} is disabled.`);
      return;
    case 'PendingReplicaDeletion':
      throw new KMSInvalidStateException(`${key.arn} is pending replica deletion.`);
  }
}

/**
 * A key used for an operation its KeyUsage does not allow. AWS names the operation:
 * `<key ARN> key usage is SIGN_VERIFY which is not valid for Encrypt.` (recorded responses).
 */
export function keyUsageError(key: KeyRow, operation: KmsOperationName): InvalidKeyUsageException {
  return new InvalidKeyUsageException(`${key.arn} key usage is ${key.keyUsage} which is not valid for ${operation}.`);
}

/** Management operations that a key pending deletion refuses (CreateAlias, tags, description, ...). */
export function assertNotPendingDeletion(key: KeyRow): void {
  if (key.state === 'PendingDeletion') throw new KMSInvalidStateException(`${key.arn} is pending deletion.`);
  if (key.state === 'PendingReplicaDeletion') throw new KMSInvalidStateException(`${key.arn} is pending replica deletion.`);
}

/** Key-state table notes 14 and 15: operations refused while a multi-Region key is Creating or Updating. */
export function assertNotInTransition(key: KeyRow, states: ('Creating' | 'Updating')[] = ['Creating', 'Updating']): void {
  if (key.state === 'Creating' && states.includes('Creating')) throw new KMSInvalidStateException(`${key.arn} is creating.`);
  if (key.state === 'Updating' && states.includes('Updating')) throw new KMSInvalidStateException(`${key.arn} is updating.`);
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
    KeyManager: key.keyManager ?? 'CUSTOMER',
    CustomerMasterKeySpec: customerMasterKeySpecOf(key.keySpec),
    KeySpec: key.keySpec,
    ...algorithmsOf(key.keySpec, key.keyUsage),
    MultiRegion: key.multiRegion !== undefined,
    // Only symmetric encryption keys of AWS_KMS / EXTERNAL origin have one (recorded: HMAC and
    // asymmetric keys have none); a CloudHSM key's material never rotates. A replica still
    // Creating has none yet (recorded ReplicateKey response, LS test_replicate_key).
    CurrentKeyMaterialId:
      key.origin === 'AWS_CLOUDHSM' || key.keySpec !== 'SYMMETRIC_DEFAULT' || key.state === 'Creating' ? undefined : key.currentMaterialId,
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
  if (key.multiRegion) md.MultiRegionConfiguration = multiRegionConfiguration(key);
  // PendingReplicaDeletion: the window is known, its end is not (it starts with the last replica's deletion).
  if (key.state === 'PendingDeletion' || key.state === 'PendingReplicaDeletion') {
    md.DeletionDate = key.deletionDate === undefined ? undefined : new Date(key.deletionDate);
    md.PendingDeletionWindowInDays = key.pendingWindowInDays;
  }
  if (key.customKeyStoreId) {
    md.CustomKeyStoreId = key.customKeyStoreId;
    md.CloudHsmClusterId = key.cloudHsmClusterId;
  }
  if (key.xksKeyId !== undefined) md.XksKeyConfiguration = { Id: key.xksKeyId };
  return md;
}

/** KeyMetadata.MultiRegionConfiguration, the same view from the primary and from every replica. */
export function multiRegionConfiguration(key: KeyRow): MultiRegionConfiguration | undefined {
  if (!key.multiRegion) return undefined;
  const { primaryRegion, replicaRegions } = key.multiRegion;
  const scope = (region: string) => ({ account: key.account, region });
  return {
    MultiRegionKeyType: primaryRegion === key.region ? 'PRIMARY' : 'REPLICA',
    PrimaryKey: { Arn: keyArn(scope(primaryRegion), key.keyId), Region: primaryRegion },
    ReplicaKeys: replicaRegions.map((region) => ({ Arn: keyArn(scope(region), key.keyId), Region: region })),
  };
}

/** What the key's backend needs in order to seal or open with one material version. */
export function backendRef(key: KeyRow, materialId: string) {
  return {
    scope: { account: key.account, region: key.region },
    keyId: key.keyId,
    arn: key.arn,
    materialId,
    customKeyStoreId: key.customKeyStoreId,
    xksKeyId: key.xksKeyId,
  };
}

export function backendFor(ctx: KmsContext, key: KeyRow): SymmetricKeyBackend {
  if (key.origin === 'EXTERNAL_KEY_STORE') return xksBackendFor(ctx, key);
  if (key.customKeyStoreId) {
    const backend = ctx.deps.customKeyStoreBackend;
    if (!backend) throw new KMSInvalidStateException(`${key.arn} is unavailable.`);
    return backend;
  }
  return ctx.deps.localKeys;
}
