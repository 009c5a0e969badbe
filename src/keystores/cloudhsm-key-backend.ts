/**
 * Origin AWS_CLOUDHSM: the material of a KMS key in a CloudHSM key store is a persistent,
 * non-extractable AES-256 key inside the store's cluster, owned by `kmsuser` and labelled
 * with the KMS key ARN (KMS developer guide, create-cmk-keystore.md). kmsd keeps only the
 * key handle; every seal/open runs AES-GCM inside the HSM through the `kmsuser` session
 * that ConnectCustomKeyStore opened and keeps for as long as the store is connected. Seals
 * are counted per key against the random-IV bound of AES-GCM (GCM_RANDOM_IV_MESSAGE_LIMIT).
 *
 * This module also owns that session (login, password rotation, logout) and the root-key
 * wrapping of the kmsuser password, so KMS never handles an HSM session id itself.
 *
 * A cluster created with the tag `kmsd:pkcs11-token` keeps those AES keys in that PKCS#11
 * token instead of its emulated HSMs (same label, same AES-GCM body layout); the kmsuser
 * session, and the cluster's ACTIVE HSM behind it, are still required for every key call.
 */
import { randomInt } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Scope, Store, Table } from '../store/store.js';
import { RowCache } from '../store/row-cache.js';
import type { ClusterView, CloudHsmClusters, LoginFailure } from './cloudhsm-clusters.js';
import { HsmDecryptError, HsmUnavailableError } from './cloudhsm-clusters.js';
import { BackingKeyExhaustedError, BackingKeyNotFoundError, CiphertextAuthenticationError, KeyStoreUnavailableError } from './errors.js';
import type { BackendKeyRef, KeyStoreHealth, SymmetricKeyBackend } from './key-backend.js';
import type { RootKey } from './root-key.js';

/** What the backend needs to know about a key store (KMS owns the store rows). */
export interface KeyStoreInfo {
  connected: boolean;
  clusterId: string;
}

export type KeyStoreDirectory = (scope: Scope, customKeyStoreId: string) => Promise<KeyStoreInfo | undefined>;

interface HandleRow {
  keyArn: string;
  /** The cluster the handle was found in; after a cluster swap the key is found again by label. */
  clusterId: string;
  handle: string;
}

/** An HSM key kmsd could not delete at the key's final deletion (AWS: backingKeysDeletionStatus FAILURE). */
export interface OrphanedHsmKeyRow {
  keyArn: string;
  customKeyStoreId: string;
  clusterId: string;
  handle: string;
  /** epoch ms */
  recordedAt: number;
  reason: string;
}

const HANDLE_TABLE = 'cloudhsm_kms_key_handles';

export const orphanedHsmKeyTable = (store: Store): Table<OrphanedHsmKeyRow> => store.table<OrphanedHsmKeyRow>('cloudhsm_orphaned_kms_keys');

export type ConnectResult = { ok: true; passwordWrapped: string } | { ok: false; code: LoginFailure | 'INTERNAL_ERROR' };

interface Session {
  sessionId: string;
  clusterId: string;
  /** The configured token holding the cluster's KMS keys (ClusterView.pkcs11Token), if any. */
  pkcs11Token?: string;
}

const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface CloudHsmKeyBackendDeps {
  clusters: CloudHsmClusters;
  store: Store;
  rootKey: RootKey;
  clock: Clock;
  directory: KeyStoreDirectory;
  /** Messages one HSM key may encrypt (GCM_RANDOM_IV_MESSAGE_LIMIT unless lowered, for tests). */
  messageLimit?: number;
  /** The PKCS#11 tokens of kmsd's configuration, by name (config `pkcs11Tokens`). */
  pkcs11Tokens?: (name: string) => SymmetricKeyBackend | undefined;
}

/**
 * Every seal is one AES-GCM encryption under the HSM key with a random 96-bit IV. NIST SP
 * 800-38D §8.3 allows 2^32 such messages per key (IV collision chance below 2^-32); past it,
 * kmsd refuses to encrypt under the key (decryption goes on). docs/security.md, Known limits.
 */
export const GCM_RANDOM_IV_MESSAGE_LIMIT = 2 ** 32;
/** Messages a node reserves per store write: counting costs one write per this many Encrypts. */
const MESSAGE_COUNT_BLOCK = 1024;

/** Messages reserved so far under one KMS key's HSM key, by every node (some may be unused). */
interface MessageCountRow {
  keyArn: string;
  reserved: number;
}

export class CloudHsmKeyBackend implements SymmetricKeyBackend {
  private readonly handles: Table<HandleRow>;
  /** Every seal and open reads the key's handle row: from a cache the change feed keeps right (row-cache.ts). */
  private readonly cachedHandles: RowCache<HandleRow>;
  private readonly orphans: Table<OrphanedHsmKeyRow>;
  private readonly sessions = new Map<string, Session>();
  private readonly messageCounts: Table<MessageCountRow>;
  /** Messages this node reserved in the store and has not used yet, per key. */
  private readonly messagesLeft = new Map<string, number>();

  constructor(private readonly deps: CloudHsmKeyBackendDeps) {
    this.handles = deps.store.table<HandleRow>(HANDLE_TABLE);
    this.cachedHandles = new RowCache<HandleRow>(deps.store, HANDLE_TABLE);
    this.orphans = orphanedHsmKeyTable(deps.store);
    this.messageCounts = deps.store.table<MessageCountRow>('cloudhsm_kms_key_message_counts');
  }

  describeCluster(scope: Scope, clusterId: string): Promise<ClusterView | undefined> {
    return this.deps.clusters.describeCluster(scope, clusterId);
  }

  /** The kmsuser password is stored only wrapped, bound to the store it belongs to. */
  wrapPassword(scope: Scope, customKeyStoreId: string, password: string): string {
    return this.deps.rootKey.wrap(Buffer.from(password, 'utf8'), passwordAad(scope, customKeyStoreId));
  }

  unwrapPassword(scope: Scope, customKeyStoreId: string, wrapped: string): string {
    const bytes = this.deps.rootKey.unwrap(wrapped, passwordAad(scope, customKeyStoreId));
    // The string cannot be wiped (JavaScript strings are immutable); the bytes can.
    const password = bytes.toString('utf8');
    bytes.fill(0);
    return password;
  }

  /**
   * Logs in as kmsuser and keeps the session. `known` are the passwords (wrapped) kmsd may
   * hold for it, most likely first: the store's, then one a connect was rotating to when its
   * node stopped. A refused password moves on to the next; the one that worked is returned.
   */
  async connect(scope: Scope, customKeyStoreId: string, clusterId: string, known: string[]): Promise<ConnectResult> {
    await this.disconnect(scope, customKeyStoreId);
    let result: ConnectResult = { ok: false, code: 'INVALID_CREDENTIALS' };
    for (const passwordWrapped of known) {
      const password = this.unwrapPassword(scope, customKeyStoreId, passwordWrapped);
      const login = await this.deps.clusters.login(scope, clusterId, 'kmsuser', password);
      if (login.ok) {
        const { pkcs11Token } = (await this.deps.clusters.describeCluster(scope, clusterId)) ?? {};
        this.sessions.set(sessionKey(scope, customKeyStoreId), { sessionId: login.sessionId, clusterId, pkcs11Token });
        return { ok: true, passwordWrapped };
      }
      result = { ok: false, code: login.failure };
      if (login.failure !== 'INVALID_CREDENTIALS') break;
    }
    return result;
  }

  /** A fresh random kmsuser password, wrapped: what a connect rotates to (hsm-key-store-concepts.md). */
  newPasswordWrapped(scope: Scope, customKeyStoreId: string): string {
    return this.wrapPassword(scope, customKeyStoreId, randomPassword());
  }

  /**
   * Changes kmsuser's password through the session `connect` opened. The caller stores
   * `toWrapped` first: once the cluster has it, it is the only password kmsuser has.
   * On failure the session ends (whether the cluster took the change is unknown).
   */
  async rotatePassword(
    scope: Scope,
    customKeyStoreId: string,
    toWrapped: string,
  ): Promise<{ changed: true } | { changed: false; cause: unknown }> {
    const session = this.sessions.get(sessionKey(scope, customKeyStoreId));
    if (!session) return { changed: false, cause: new Error('no kmsuser session') };
    try {
      await this.deps.clusters.changePassword(session.sessionId, this.unwrapPassword(scope, customKeyStoreId, toWrapped));
      return { changed: true };
    } catch (cause) {
      await this.disconnect(scope, customKeyStoreId);
      return { changed: false, cause };
    }
  }

  /** DisconnectCustomKeyStore: KMS logs kmsuser out of the cluster. */
  async disconnect(scope: Scope, customKeyStoreId: string): Promise<void> {
    const key = sessionKey(scope, customKeyStoreId);
    const session = this.sessions.get(key);
    if (!session) return;
    this.sessions.delete(key);
    // The cluster may be gone already; the session ends with it.
    await this.deps.clusters.logout(session.sessionId).catch(() => undefined);
  }

  /** kmsd stops: end every kmsuser session (they are re-opened at the next start). */
  async closeSessions(): Promise<void> {
    for (const [key, session] of [...this.sessions]) {
      this.sessions.delete(key);
      await this.deps.clusters.logout(session.sessionId).catch(() => undefined);
    }
  }

  /** Whether this node is logged in for the store (sessions are per node). */
  hasSession(scope: Scope, customKeyStoreId: string): boolean {
    return this.sessions.has(sessionKey(scope, customKeyStoreId));
  }

  async isConnected(scope: Scope, customKeyStoreId: string): Promise<boolean> {
    const info = await this.deps.directory(scope, customKeyStoreId);
    return info?.connected === true;
  }

  /** GenerateRandom with CustomKeyStoreId: the bytes come from the cluster's HSMs. */
  async random(scope: Scope, customKeyStoreId: string, length: number): Promise<Buffer> {
    const session = this.session(scope, customKeyStoreId);
    return mapHsmErrors(() => this.deps.clusters.random(session.sessionId, length));
  }

  async createMaterial(ref: BackendKeyRef): Promise<void> {
    const session = this.session(ref.scope, storeIdOf(ref));
    const token = await this.tokenOf(session);
    let handle: string;
    if (token) {
      await token.createMaterial(ref);
      handle = tokenHandle(session);
    } else {
      handle = await mapHsmErrors(() => this.deps.clusters.generateAesKey(session.sessionId, ref.arn));
    }
    await this.handles.put(ref.scope, ref.keyId, { keyArn: ref.arn, clusterId: session.clusterId, handle });
  }

  async seal(ref: BackendKeyRef, plaintext: Buffer, aad: Buffer): Promise<Buffer> {
    const session = this.session(ref.scope, storeIdOf(ref));
    const token = await this.tokenOf(session);
    if (token) {
      await this.countMessage(ref);
      return token.seal(ref, plaintext, aad);
    }
    const handle = await this.handleFor(ref, session);
    await this.countMessage(ref);
    return mapHsmErrors(() => this.deps.clusters.encrypt(session.sessionId, handle, plaintext, aad), ref);
  }

  /**
   * Counts one message under the key's HSM key, refusing it past the limit. Counts are
   * reserved in the store a block at a time (one write per MESSAGE_COUNT_BLOCK messages, in
   * a transaction so several nodes add up); a node that stops loses its unused reservation,
   * which only errs on the safe side.
   */
  private async countMessage(ref: BackendKeyRef): Promise<void> {
    const id = `${ref.scope.account}/${ref.scope.region}/${ref.keyId}`;
    const left = this.messagesLeft.get(id) ?? 0;
    if (left > 0) {
      this.messagesLeft.set(id, left - 1);
      return;
    }
    const limit = this.deps.messageLimit ?? GCM_RANDOM_IV_MESSAGE_LIMIT;
    const granted = await this.deps.store.transaction(async () => {
      const reserved = (await this.messageCounts.get(ref.scope, ref.keyId))?.reserved ?? 0;
      const grant = Math.min(MESSAGE_COUNT_BLOCK, limit - reserved);
      if (grant > 0) await this.messageCounts.put(ref.scope, ref.keyId, { keyArn: ref.arn, reserved: reserved + grant });
      return Math.max(grant, 0);
    });
    if (granted === 0) throw new BackingKeyExhaustedError(ref.arn, limit);
    this.messagesLeft.set(id, (this.messagesLeft.get(id) ?? 0) + granted - 1);
  }

  async open(ref: BackendKeyRef, body: Buffer, aad: Buffer): Promise<Buffer> {
    const session = this.session(ref.scope, storeIdOf(ref));
    const token = await this.tokenOf(session);
    if (token) return token.open(ref, body, aad);
    const handle = await this.handleFor(ref, session);
    try {
      return await mapHsmErrors(() => this.deps.clusters.decrypt(session.sessionId, handle, body, aad), ref);
    } catch (err) {
      if (err instanceof HsmDecryptError) throw new CiphertextAuthenticationError();
      throw err;
    }
  }

  /**
   * Final deletion of the KMS key: a best-effort delete of its HSM key (AWS deletes it when
   * it can and reports the outcome in CloudTrail). When the store is not connected, or the
   * cluster refuses, the HSM key is recorded as orphaned so an operator can delete it.
   */
  async destroyMaterial(ref: BackendKeyRef): Promise<void> {
    const row = await this.handles.get(ref.scope, ref.keyId);
    await this.handles.delete(ref.scope, ref.keyId);
    await this.messageCounts.delete(ref.scope, ref.keyId);
    if (!row) return;
    const storeId = storeIdOf(ref);
    const session = this.sessions.get(sessionKey(ref.scope, storeId));
    let reason = 'the custom key store was not connected';
    if (session) {
      try {
        const token = await this.tokenOf(session);
        if (token) await token.destroyMaterial(ref);
        else await this.deps.clusters.deleteKey(session.sessionId, await this.handleFor(ref, session, row));
        return;
      } catch (err) {
        // Already gone from the token: nothing is left to orphan.
        if (err instanceof BackingKeyNotFoundError && session.pkcs11Token !== undefined) return;
        reason = err instanceof Error ? err.message : String(err);
      }
    }
    await this.orphans.put(ref.scope, ref.keyId, {
      keyArn: ref.arn,
      customKeyStoreId: storeId,
      clusterId: row.clusterId,
      handle: row.handle,
      recordedAt: this.deps.clock.now().getTime(),
      reason,
    });
  }

  /**
   * The store's health on this node: its kmsuser session, and a cluster that still exists
   * with an ACTIVE HSM (what every key operation needs, see fix-keystore.md).
   */
  async health(scope: Scope, customKeyStoreId?: string): Promise<KeyStoreHealth> {
    const session = customKeyStoreId === undefined ? undefined : this.sessions.get(sessionKey(scope, customKeyStoreId));
    if (!session) return { healthy: false, error: new KeyStoreUnavailableError('this node holds no kmsuser session for the store') };
    const view = await this.deps.clusters.describeCluster(scope, session.clusterId);
    if (!view) return { healthy: false, error: new KeyStoreUnavailableError(`cluster ${session.clusterId} no longer exists`) };
    if (!view.hsms.some((h) => h.state === 'ACTIVE')) {
      return { healthy: false, error: new KeyStoreUnavailableError(`cluster ${session.clusterId} has no ACTIVE HSM`) };
    }
    if (session.pkcs11Token === undefined) return { healthy: true };
    // Keys kept in a PKCS#11 token: that token's own deep check decides too.
    const token = this.deps.pkcs11Tokens?.(session.pkcs11Token);
    if (!token) return { healthy: false, error: new KeyStoreUnavailableError(noTokenMessage(session.pkcs11Token)) };
    return token.health(scope, customKeyStoreId);
  }

  private session(scope: Scope, customKeyStoreId: string): Session {
    const session = this.sessions.get(sessionKey(scope, customKeyStoreId));
    // CONNECTED in the store row but no session: kmsd restarted and the reconnect failed.
    if (!session) throw new KeyStoreUnavailableError(`this node holds no kmsuser session for ${customKeyStoreId}`);
    return session;
  }

  /**
   * The PKCS#11 token holding the keys of the session's cluster, or undefined when they are
   * in its emulated HSMs. The cluster must still serve the session either way (fix-keystore.md:
   * no ACTIVE HSM, no key operations).
   */
  private async tokenOf(session: Session): Promise<SymmetricKeyBackend | undefined> {
    if (session.pkcs11Token === undefined) return undefined;
    await mapHsmErrors(() => this.deps.clusters.checkSession(session.sessionId));
    const token = this.deps.pkcs11Tokens?.(session.pkcs11Token);
    if (!token) throw new KeyStoreUnavailableError(noTokenMessage(session.pkcs11Token));
    return token;
  }

  private async handleFor(ref: BackendKeyRef, session: Session, known?: HandleRow): Promise<string> {
    const row = known ?? (await this.cachedHandles.get(ref.scope, ref.keyId));
    if (row && row.clusterId === session.clusterId) return row.handle;
    // The store now points at another cluster of the same backup history (restored from a
    // backup): the key is found there by its label, the KMS key ARN.
    const handle = await mapHsmErrors(() => this.deps.clusters.findKeyByLabel(session.sessionId, ref.arn));
    if (handle === undefined) throw new BackingKeyNotFoundError(ref.arn);
    await this.handles.put(ref.scope, ref.keyId, { keyArn: ref.arn, clusterId: session.clusterId, handle });
    return handle;
  }
}

/**
 * The cluster's HsmUnavailableError as the port's errors: a missing key handle is the KMS
 * key's backing key gone (when the call names one), anything else the store unavailable.
 */
async function mapHsmErrors<T>(fn: () => Promise<T>, keyOf?: BackendKeyRef): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof HsmUnavailableError)) throw err;
    if (err.reason === 'KEY_NOT_FOUND' && keyOf) throw new BackingKeyNotFoundError(keyOf.arn);
    throw new KeyStoreUnavailableError(err.message);
  }
}

function noTokenMessage(name: string): string {
  return `kmsd has no PKCS#11 token named ${name} in its configuration`;
}

/** What the handle row records for a key kept in a token (found there by its label, the key ARN). */
function tokenHandle(session: Session): string {
  return `pkcs11:${session.pkcs11Token ?? ''}`;
}

function storeIdOf(ref: BackendKeyRef): string {
  if (!ref.customKeyStoreId) throw new BackingKeyNotFoundError(ref.arn);
  return ref.customKeyStoreId;
}

function sessionKey(scope: Scope, customKeyStoreId: string): string {
  return `${scope.account}/${scope.region}/${customKeyStoreId}`;
}

function passwordAad(scope: Scope, customKeyStoreId: string): string {
  return `kms-custom-key-store-password:${scope.account}:${scope.region}:${customKeyStoreId}`;
}

/** 32 alphanumeric characters: the CloudHSM tooling's password alphabet, its maximum length. */
function randomPassword(): string {
  let out = '';
  for (let i = 0; i < 32; i++) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}
