/**
 * KMS custom key stores: the stored row, lookups, the list entry, and which store a new KMS
 * key may go to. The cluster rules are in cloudhsm-cluster-rules.ts, the connection state
 * machine's background transitions in key-store-transitions.ts, external key stores in
 * xks-key-stores.ts.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ConnectionErrorCodeType, ConnectionStateType, CustomKeyStoresListEntry } from '../generated/kms.js';
import {
  CloudHsmClusterInvalidConfigurationException,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNotFoundException,
  KMSInternalException,
  UnsupportedOperationException,
} from '../generated/kms.js';
import type { CloudHsmKeyBackend, KeyStoreDirectory } from '../keystores/cloudhsm-key-backend.js';
import type { Scope, Store, Table } from '../store/store.js';
import { RowCache } from '../store/row-cache.js';
import { ValidationException } from '../core/service-error.js';
import type { KmsContext, KmsDeps } from './context.js';
import { keyTable } from './keys.js';
import { assertClusterConfiguration } from './cloudhsm-cluster-rules.js';
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

export const CUSTOM_KEY_STORE_TABLE = 'kms_custom_key_stores';
export const customKeyStoreTable = (store: Store): Table<CustomKeyStoreRow> => store.table<CustomKeyStoreRow>(CUSTOM_KEY_STORE_TABLE);

export function newCustomKeyStoreId(): string {
  return `cks-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/**
 * For the key backend: whether a store's keys are usable, and its cluster. Every request with
 * a key in a custom key store asks (the key's state depends on it), so the rows come from a
 * cache the change feed keeps right across processes and nodes (store/row-cache.ts).
 */
export function customKeyStoreDirectory(store: Store): KeyStoreDirectory {
  const rows = new RowCache<CustomKeyStoreRow>(store, CUSTOM_KEY_STORE_TABLE);
  return async (scope, id) => {
    const row = await rows.get(scope, id);
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
export function nextHealthCheck(deps: KmsDeps, row: CustomKeyStoreRow): number | null {
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
