/**
 * KMS custom key stores of type AWS_CLOUDHSM: the stored row, lookups, the cluster rules
 * KMS enforces (custom-key-stores.md §5), and the connection state machine (§3):
 *
 *   Create -> DISCONNECTED --Connect--> CONNECTING --ok--> CONNECTED
 *                                            +-----fail--> FAILED (+ConnectionErrorCode)
 *   CONNECTING | CONNECTED | FAILED --Disconnect--> DISCONNECTING --> DISCONNECTED
 *
 * Connect and Disconnect answer at once; the transition finishes in the background after
 * `keyStoreTransitionMs` on the service clock (AWS: up to 20 minutes), so clients poll
 * DescribeCustomKeyStores as they do against AWS.
 */
import { X509Certificate, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ConnectionErrorCodeType, ConnectionStateType, CustomKeyStoresListEntry } from '../generated/kms.js';
import {
  CloudHsmClusterInUseException,
  CloudHsmClusterInvalidConfigurationException,
  CloudHsmClusterNotActiveException,
  CloudHsmClusterNotFoundException,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNotFoundException,
  IncorrectTrustAnchorException,
  KMSInternalException,
  UnsupportedOperationException,
} from '../generated/kms.js';
import type { ClusterView } from '../keystores/cloudhsm-clusters.js';
import type { CloudHsmKeyBackend, KeyStoreDirectory } from '../keystores/cloudhsm-key-backend.js';
import type { Scope, Store, Table } from '../store/store.js';
import { DEFAULT_LEASE_MS } from '../store/store.js';
import { ValidationException } from '../core/service-error.js';
import type { KmsContext, KmsDeps } from './context.js';
import { keyTable } from './keys.js';
import { xksConnectionError } from './xks-key-stores.js';
import { xksProxyConfiguration } from './xks-proxy-settings.js';
import type { XksStoreSettings } from './xks-proxy-settings.js';
import type { KeyRow } from './keys.js';

export interface CustomKeyStoreRow {
  /** `cks-` + 17 lower-case hex digits, like AWS's ids. */
  id: string;
  name: string;
  type: 'AWS_CLOUDHSM' | 'EXTERNAL_KEY_STORE';
  /** '' for an external key store, as are the trust anchor, cluster certificate and password. */
  clusterId: string;
  /** PEM of the trust anchor given at creation (customerCA.crt). */
  trustAnchorCertificate: string;
  /**
   * The cluster certificate when the store was created: clusters sharing a backup history
   * carry the same one, which is how "related cluster" is decided even after the original
   * cluster was deleted.
   */
  clusterCertificate: string;
  connectionState: ConnectionStateType;
  /** The last connect failure; returned only while FAILED (API reference), kept for operators. */
  lastErrorCode?: ConnectionErrorCodeType;
  /** epoch ms */
  creationDate: number;
  /** The kmsuser password, wrapped by the root key. Never returned, never logged. */
  passwordWrapped: string;
  /**
   * The password a connect is rotating kmsuser to, wrapped, stored before the cluster is told;
   * present only while that connect runs, or after its node stopped mid-way.
   */
  nextPasswordWrapped?: string;
  /** Increments with every Connect, so a late background result cannot clobber a newer request. */
  attempt: number;
  /** EXTERNAL_KEY_STORE only: the proxy settings (xks-key-stores.ts). */
  xks?: XksStoreSettings;
  /**
   * EXTERNAL_KEY_STORE only: the latest health check of the proxy while CONNECTED (at connect,
   * then periodic). Not part of any API answer: AWS keeps the store CONNECTED whatever the
   * proxy does and reports problems through CloudWatch; no API returns it yet.
   */
  health?: XksHealthRecord;
}

export interface XksHealthRecord {
  /** epoch ms, service clock */
  checkedAt: number;
  /** What a connect failing the same way would report; absent when the proxy was healthy. */
  errorCode?: ConnectionErrorCodeType;
}

export const customKeyStoreTable = (store: Store): Table<CustomKeyStoreRow> => store.table<CustomKeyStoreRow>('kms_custom_key_stores');

export function newCustomKeyStoreId(): string {
  return `cks-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/** For the key backend: whether a store's keys are usable, and its cluster. */
export function customKeyStoreDirectory(store: Store): KeyStoreDirectory {
  const table = customKeyStoreTable(store);
  return async (scope, id) => {
    const row = await table.get(scope, id);
    return row ? { connected: row.connectionState === 'CONNECTED', clusterId: row.clusterId } : undefined;
  };
}

export async function findCustomKeyStore(ctx: KmsContext, id: string): Promise<CustomKeyStoreRow> {
  const row = await customKeyStoreTable(ctx.deps.store).get(ctx.scope, id);
  if (!row) throw new CustomKeyStoreNotFoundException(`Custom key store ${id} does not exist.`);
  return row;
}

export async function findCustomKeyStoreByName(ctx: KmsContext, name: string): Promise<CustomKeyStoreRow | undefined> {
  const all = await allStores(ctx.deps.store, ctx.scope);
  return all.find((s) => s.name === name);
}

export async function allStores(store: Store, scope: Scope): Promise<CustomKeyStoreRow[]> {
  const table = customKeyStoreTable(store);
  const rows: CustomKeyStoreRow[] = [];
  let marker: string | undefined;
  do {
    const page = await table.list(scope, { limit: 100, marker });
    rows.push(...page.items);
    marker = page.next;
  } while (marker);
  return rows;
}

/** Without an explicit due time, a CONNECTED external key store stays due for its next health check. */
export async function saveCustomKeyStore(ctx: Pick<KmsContext, 'deps' | 'scope'>, row: CustomKeyStoreRow, due?: number): Promise<void> {
  await customKeyStoreTable(ctx.deps.store).put(ctx.scope, row.id, row, { due: due ?? nextHealthCheck(ctx.deps, row) });
}

/** When a CONNECTED external key store's proxy is checked next; null for any other store, or with checks off. */
function nextHealthCheck(deps: KmsDeps, row: CustomKeyStoreRow): number | null {
  const interval = deps.xksHealthCheckIntervalMs ?? 0;
  if (!row.xks || row.connectionState !== 'CONNECTED' || interval <= 0) return null;
  return deps.clock.now().getTime() + interval;
}

export function listEntry(row: CustomKeyStoreRow): CustomKeyStoresListEntry {
  if (row.xks) {
    return {
      CustomKeyStoreId: row.id,
      CustomKeyStoreName: row.name,
      ConnectionState: row.connectionState,
      ConnectionErrorCode: row.connectionState === 'FAILED' ? row.lastErrorCode : undefined,
      CreationDate: new Date(row.creationDate),
      CustomKeyStoreType: row.type,
      XksProxyConfiguration: xksProxyConfiguration(row.xks),
    };
  }
  return {
    CustomKeyStoreId: row.id,
    CustomKeyStoreName: row.name,
    CloudHsmClusterId: row.clusterId,
    TrustAnchorCertificate: row.trustAnchorCertificate,
    ConnectionState: row.connectionState,
    // The API reference: ConnectionErrorCode is present only while FAILED (§3.2 conflict).
    ConnectionErrorCode: row.connectionState === 'FAILED' ? row.lastErrorCode : undefined,
    CreationDate: new Date(row.creationDate),
    CustomKeyStoreType: row.type,
  };
}

export function cloudHsm(ctx: Pick<KmsContext, 'deps'>): CloudHsmKeyBackend {
  const backend = ctx.deps.cloudHsmKeyStores;
  if (!backend) throw new KMSInternalException('CloudHSM key stores are not available in this kmsd.');
  return backend;
}

export function invalidState(row: CustomKeyStoreRow, action: string): CustomKeyStoreInvalidStateException {
  return new CustomKeyStoreInvalidStateException(`Custom key store ${row.id} is in the ${row.connectionState} connection state. ${action}`);
}

const XKS_MEMBERS = [
  'XksProxyUriEndpoint',
  'XksProxyUriPath',
  'XksProxyVpcEndpointServiceName',
  'XksProxyVpcEndpointServiceOwner',
  'XksProxyAuthenticationCredential',
  'XksProxyConnectivity',
] as const;

/** External-key-store members on a CloudHSM request: ValidationException (§6.3, §15.3). */
export function rejectExternalStoreMembers(input: Partial<Record<(typeof XKS_MEMBERS)[number], unknown>>): void {
  for (const member of XKS_MEMBERS) {
    if (input[member] !== undefined) {
      throw new ValidationException(`${member} is valid only for custom key stores of type EXTERNAL_KEY_STORE.`);
    }
  }
}

// ---- Cluster rules (custom-key-stores.md §5, cloudhsm.md §4) ----------------------------

export async function requireCluster(ctx: KmsContext, clusterId: string): Promise<ClusterView> {
  const view = await cloudHsm(ctx).describeCluster(ctx.scope, clusterId);
  if (!view) throw new CloudHsmClusterNotFoundException(`AWS CloudHSM cluster ${clusterId} not found.`);
  return view;
}

export function assertClusterActive(view: ClusterView): void {
  if (view.state !== 'ACTIVE') {
    throw new CloudHsmClusterNotActiveException(
      `AWS CloudHSM cluster ${view.clusterId} is not active. Its state is ${view.state}; it must be ACTIVE.`,
    );
  }
}

export function activeHsmZones(view: ClusterView): Set<string> {
  return new Set(view.hsms.filter((h) => h.state === 'ACTIVE').map((h) => h.availabilityZone));
}

/** Create, Update (cluster swap) and CreateKey: subnets in 2 AZs, 2 active HSMs in different AZs. */
export function assertClusterConfiguration(view: ClusterView): void {
  if (Object.keys(view.subnetMapping).length < 2) {
    throw new CloudHsmClusterInvalidConfigurationException(
      `AWS CloudHSM cluster ${view.clusterId} must have private subnets in at least two Availability Zones.`,
    );
  }
  if (activeHsmZones(view).size < 2) {
    throw new CloudHsmClusterInvalidConfigurationException(
      `AWS CloudHSM cluster ${view.clusterId} must contain at least two active HSMs, each in a different Availability Zone.`,
    );
  }
}

/**
 * The cluster certificate must name the trust anchor as issuer and carry its signature
 * (node's X509Certificate: checkIssued compares names and key identifiers, verify the signature).
 */
export function assertTrustAnchor(view: ClusterView, trustAnchorPem: string): void {
  const wrong = new IncorrectTrustAnchorException(
    `The trust anchor certificate in the request is not the trust anchor of AWS CloudHSM cluster ${view.clusterId}.`,
  );
  if (!view.clusterCertificate) throw wrong;
  let issued = false;
  try {
    const anchor = new X509Certificate(trustAnchorPem);
    const clusterCert = new X509Certificate(view.clusterCertificate);
    issued = clusterCert.checkIssued(anchor) && clusterCert.verify(anchor.publicKey);
  } catch {
    issued = false;
  }
  if (!issued) throw wrong;
}

/** A cluster (or one sharing its backup history) may back only one store per account+Region. */
export function assertClusterUnused(view: ClusterView, stores: CustomKeyStoreRow[]): void {
  const user = stores.find(
    (s) =>
      s.type === 'AWS_CLOUDHSM' &&
      (s.clusterId === view.clusterId || (view.clusterCertificate !== undefined && s.clusterCertificate === view.clusterCertificate)),
  );
  if (user) {
    throw new CloudHsmClusterInUseException(
      user.clusterId === view.clusterId
        ? `AWS CloudHSM cluster ${view.clusterId} is already associated with custom key store ${user.id}.`
        : `AWS CloudHSM cluster ${view.clusterId} shares a backup history with cluster ${user.clusterId}, which is associated with custom key store ${user.id}.`,
    );
  }
}

export function passwordsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Keys that still count against deleting the store: all, including PendingDeletion (§9). */
export async function keysInStore(ctx: KmsContext, storeId: string): Promise<KeyRow[]> {
  const table = keyTable(ctx.deps.store);
  const keys: KeyRow[] = [];
  let marker: string | undefined;
  do {
    const page = await table.list(ctx.scope, { limit: 1000, marker });
    for (const key of page.items) {
      if (key.customKeyStoreId !== storeId) continue;
      // A key whose waiting period is over is deleted (the sweeper may not have run yet).
      if (key.state === 'PendingDeletion' && key.deletionDate !== undefined && key.deletionDate <= ctx.now.getTime()) continue;
      keys.push(key);
    }
    marker = page.next;
  } while (marker);
  return keys;
}

// ---- Background transitions ----------------------------------------------------------

const chains = new WeakMap<KmsDeps, Promise<void>>();

/** Finishes every CONNECTING/DISCONNECTING store whose time has come; runs one batch at a time. */
export function runKeyStoreTransitions(deps: KmsDeps): Promise<void> {
  const previous = chains.get(deps) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => settle(deps));
  chains.set(deps, next);
  return next;
}

/** Resolves once no background transition is running (kmsd waits for it on close). */
export async function keyStoreTransitionsIdle(deps: KmsDeps): Promise<void> {
  await (chains.get(deps) ?? Promise.resolve()).catch(() => undefined);
}

/** When a CONNECTING/DISCONNECTING state that starts now ends, on the service clock. */
export function transitionDue(deps: KmsDeps): number {
  return deps.clock.now().getTime() + Math.max(0, deps.keyStoreTransitionMs ?? 0);
}

/**
 * Called after Connect/Disconnect committed: with no delay configured, finish right away.
 * (Never from inside a transaction: the timer would inherit its async context.)
 */
export function kickTransitions(deps: KmsDeps): void {
  if ((deps.keyStoreTransitionMs ?? 0) <= 0) {
    // The store stays CONNECTING/DISCONNECTING and the 1 s tick retries (and logs its own failures).
    const logFailure = (err: unknown) => deps.log?.({ level: 'error', msg: 'custom key store transition failed', err });
    setImmediate(() => void runKeyStoreTransitions(deps).catch(logFailure));
  }
}

async function settle(deps: KmsDeps): Promise<void> {
  const table = customKeyStoreTable(deps.store);
  // Claimed: the HSM login of a connect runs on one node only.
  const due = await table.claimDue(deps.clock.now().getTime(), 100, DEFAULT_LEASE_MS);
  for (const { scope, row } of due) {
    if (row.connectionState === 'CONNECTING') await finishConnect(deps, scope, row);
    else if (row.connectionState === 'DISCONNECTING') await finishDisconnect(deps, scope, row);
    else if (row.connectionState === 'CONNECTED' && row.xks) await checkXksHealth(deps, scope, row);
    else await table.put(scope, row.id, row, { due: null });
  }
}

/**
 * §7: find the cluster, log in as kmsuser, rotate its password, keep the session. The new
 * password is stored (as nextPasswordWrapped, beside the current one) before the cluster is
 * told, so a node that stops between the two leaves kmsd knowing kmsuser's password either
 * way; the next login tries both.
 */
async function finishConnect(deps: KmsDeps, scope: Scope, row: CustomKeyStoreRow): Promise<void> {
  const table = customKeyStoreTable(deps.store);
  const backend = deps.cloudHsmKeyStores;
  let code: ConnectionErrorCodeType | undefined;
  let passwordWrapped = row.passwordWrapped;
  /** kmsd knows kmsuser's password for sure: nextPasswordWrapped can go. */
  let settled = false;
  try {
    const view = backend && !row.xks ? await backend.describeCluster(scope, row.clusterId) : undefined;
    if (row.xks) code = await xksConnectionError(deps, scope, row, 'ConnectCustomKeyStore');
    else if (!backend) code = 'INTERNAL_ERROR';
    else if (!view) code = 'CLUSTER_NOT_FOUND';
    else if (activeHsmZones(view).size === 0) code = 'INSUFFICIENT_CLOUDHSM_HSMS';
    else {
      const login = await backend.connect(scope, row.id, row.clusterId, knownPasswords(row));
      if (!login.ok) code = login.code;
      else {
        passwordWrapped = login.passwordWrapped;
        settled = true;
        const next = backend.newPasswordWrapped(scope, row.id);
        const stored = await deps.store.transaction(async () => {
          const current = await table.get(scope, row.id);
          if (current?.connectionState !== 'CONNECTING' || current.attempt !== row.attempt) return false;
          // Due again after a lease: if this node stops now, another one finishes the connect.
          const retry = deps.clock.now().getTime() + DEFAULT_LEASE_MS;
          await table.put(scope, row.id, { ...current, passwordWrapped, nextPasswordWrapped: next }, { due: retry });
          return true;
        });
        if (stored) {
          const rotation = await backend.rotatePassword(scope, row.id, next);
          settled = rotation.changed;
          if (rotation.changed) passwordWrapped = next;
          else {
            // The cluster may or may not have the new password: both are kept (see above).
            deps.log?.({ level: 'error', msg: 'custom key store connect failed', customKeyStoreId: row.id, err: rotation.cause });
            code = 'INTERNAL_ERROR';
          }
        }
      }
    }
  } catch (err) {
    // The store shows only INTERNAL_ERROR; the operator needs the cause.
    deps.log?.({ level: 'error', msg: 'custom key store connect failed', customKeyStoreId: row.id, err });
    code = 'INTERNAL_ERROR';
  }
  await deps.store.transaction(async () => {
    const current = await table.get(scope, row.id);
    if (!current) return;
    // What kmsuser's password is now, as far as kmsd knows: keep it whatever happened meanwhile.
    current.passwordWrapped = passwordWrapped;
    if (settled) delete current.nextPasswordWrapped;
    if (current.connectionState !== 'CONNECTING' || current.attempt !== row.attempt) {
      await table.put(scope, row.id, current, { due: current.connectionState === 'DISCONNECTING' ? deps.clock.now().getTime() : null });
      return;
    }
    current.connectionState = code ? 'FAILED' : 'CONNECTED';
    if (code) current.lastErrorCode = code;
    // A connect's GetHealthStatus is the store's first health check.
    if (!code && current.xks) current.health = { checkedAt: deps.clock.now().getTime() };
    await table.put(scope, row.id, current, { due: nextHealthCheck(deps, current) });
  });
  if (!code && backend && !row.xks) {
    const after = await table.get(scope, row.id);
    if (after?.connectionState !== 'CONNECTED') await backend.disconnect(scope, row.id);
  }
}

/**
 * The periodic `KmsHealthCheck` of a CONNECTED external key store (xks-proxy.md §4.4), on the
 * one node that claimed the row. The proxy is called outside any transaction; the outcome is
 * recorded (and the next check scheduled) only if the store is still in the same connection.
 * The state stays CONNECTED either way, as in AWS (custom-key-stores.md §3.2): crypto calls
 * fail on their own with the mapped KMSInvalidStateException while the proxy is down.
 */
async function checkXksHealth(deps: KmsDeps, scope: Scope, row: CustomKeyStoreRow): Promise<void> {
  const errorCode = await xksConnectionError(deps, scope, row, 'KmsHealthCheck');
  const table = customKeyStoreTable(deps.store);
  await deps.store.transaction(async () => {
    const current = await table.get(scope, row.id);
    if (current?.connectionState !== 'CONNECTED' || current.attempt !== row.attempt) return;
    const checked: CustomKeyStoreRow = { ...current, health: { checkedAt: deps.clock.now().getTime(), errorCode } };
    await table.put(scope, row.id, checked, { due: nextHealthCheck(deps, checked) });
  });
}

/** The store's kmsuser password, then one a connect was rotating to when its node stopped. */
function knownPasswords(row: CustomKeyStoreRow): string[] {
  return row.nextPasswordWrapped ? [row.passwordWrapped, row.nextPasswordWrapped] : [row.passwordWrapped];
}

/** §8: log kmsuser out and finish in DISCONNECTED. */
async function finishDisconnect(deps: KmsDeps, scope: Scope, row: CustomKeyStoreRow): Promise<void> {
  await deps.cloudHsmKeyStores?.disconnect(scope, row.id);
  const table = customKeyStoreTable(deps.store);
  await deps.store.transaction(async () => {
    const current = await table.get(scope, row.id);
    if (!current || current.connectionState !== 'DISCONNECTING') return;
    current.connectionState = 'DISCONNECTED';
    await table.put(scope, row.id, current, { due: null });
  });
}

/**
 * Each node holds its own HSM sessions, while the connection state lives in the store that
 * every node shares. At start and then on every tick, a node makes its sessions follow the
 * store: for a CONNECTED store it holds no session of (kmsd restarted, or another node
 * completed the connect) it logs in with the password kmsd holds (no rotation: this is not a
 * new connect); it logs out of a store that is DISCONNECTED or FAILED (disconnected through
 * another node). So a connect or disconnect through one node reaches the others within a
 * tick. A store that cannot log in moves to FAILED with the reason, as a failed connect would
 * (and so is not retried, which would lock kmsuser out).
 */
export async function reconcileKeyStoreSessions(deps: KmsDeps): Promise<void> {
  const backend = deps.cloudHsmKeyStores;
  if (!backend) return;
  const table = customKeyStoreTable(deps.store);
  for (const { scope, row } of await table.all()) {
    // External key stores hold no session: their proxy is called per request.
    if (row.xks) continue;
    const held = backend.hasSession(scope, row.id);
    if (held && (row.connectionState === 'DISCONNECTED' || row.connectionState === 'FAILED')) {
      await backend.disconnect(scope, row.id);
      continue;
    }
    if (row.connectionState !== 'CONNECTED' || held) continue;
    let code: ConnectionErrorCodeType | undefined;
    try {
      const view = await backend.describeCluster(scope, row.clusterId);
      if (!view) code = 'CLUSTER_NOT_FOUND';
      else if (activeHsmZones(view).size === 0) code = 'INSUFFICIENT_CLOUDHSM_HSMS';
      else {
        const result = await backend.connect(scope, row.id, row.clusterId, knownPasswords(row));
        if (!result.ok) code = result.code;
        else if (row.nextPasswordWrapped) await settlePassword(deps, scope, row, result.passwordWrapped);
      }
    } catch (err) {
      deps.log?.({ level: 'error', msg: 'custom key store login after restart failed', customKeyStoreId: row.id, err });
      code = 'INTERNAL_ERROR';
    }
    if (code) {
      const failed = code;
      await deps.store.transaction(async () => {
        const current = await table.get(scope, row.id);
        if (current?.connectionState !== 'CONNECTED') return;
        await table.put(scope, row.id, { ...current, connectionState: 'FAILED', lastErrorCode: failed }, { due: null });
      });
    }
  }
}

/** A login showed which of the known passwords kmsuser has: keep that one alone. */
async function settlePassword(deps: KmsDeps, scope: Scope, row: CustomKeyStoreRow, passwordWrapped: string): Promise<void> {
  const table = customKeyStoreTable(deps.store);
  await deps.store.transaction(async () => {
    const current = await table.get(scope, row.id);
    // Changed meanwhile (a new connect, an UpdateCustomKeyStore): that change knows better.
    if (current?.passwordWrapped !== row.passwordWrapped || current.nextPasswordWrapped !== row.nextPasswordWrapped) return;
    const settled = { ...current, passwordWrapped };
    delete settled.nextPasswordWrapped;
    await table.put(scope, row.id, settled, { due: null });
  });
}

// ---- KMS keys in a store (§11.1) -------------------------------------------------------

export interface NewKeyShape {
  keySpec: string;
  keyUsage: string;
  origin: string;
  multiRegion: boolean;
}

/**
 * CreateKey with CustomKeyStoreId / Origin AWS_CLOUDHSM: only single-Region symmetric
 * encryption keys; the store must exist, be CONNECTED, and its cluster must have two active
 * HSMs in different Availability Zones. Returns the store the key goes into.
 */
export async function storeForNewKey(ctx: KmsContext, storeId: string | undefined, shape: NewKeyShape): Promise<CustomKeyStoreRow> {
  if (storeId === undefined) {
    throw new ValidationException('Origin AWS_CLOUDHSM requires a CustomKeyStoreId that identifies an AWS CloudHSM key store.');
  }
  if (shape.origin !== 'AWS_CLOUDHSM') {
    throw new UnsupportedOperationException(
      `Origin ${shape.origin} is not valid for a KMS key in an AWS CloudHSM key store; use Origin AWS_CLOUDHSM.`,
    );
  }
  if (shape.keySpec !== 'SYMMETRIC_DEFAULT' || shape.keyUsage !== 'ENCRYPT_DECRYPT') {
    throw new UnsupportedOperationException(
      `KeySpec ${shape.keySpec} with KeyUsage ${shape.keyUsage} is not supported in a custom key store; only SYMMETRIC_DEFAULT ENCRYPT_DECRYPT keys are.`,
    );
  }
  if (shape.multiRegion) throw new UnsupportedOperationException('Multi-Region keys cannot be created in a custom key store.');
  const row = await findCustomKeyStore(ctx, storeId);
  if (row.connectionState !== 'CONNECTED') {
    throw invalidState(row, 'You can create KMS keys in a custom key store only when it is CONNECTED.');
  }
  const view = await cloudHsm(ctx).describeCluster(ctx.scope, row.clusterId);
  if (!view) {
    throw new CloudHsmClusterInvalidConfigurationException(
      `AWS CloudHSM cluster ${row.clusterId} of custom key store ${row.id} was not found.`,
    );
  }
  assertClusterConfiguration(view);
  return row;
}
