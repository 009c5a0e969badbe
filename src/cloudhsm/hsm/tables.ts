/**
 * The emulated HSMs' stored rows. Every id starts with `<clusterId>/` so one cluster's rows
 * can be listed (and dropped) by prefix. Nothing here is plaintext secret: passwords are
 * scrypt hashes, the cluster secret is wrapped by the root key, key material is encrypted
 * under the cluster secret.
 */
import type { Scope, Store, Table } from '../../store/store.js';
import type { PasswordHash } from './passwords.js';

export type HsmRole = 'admin' | 'crypto-user';

export interface HsmUserRow {
  clusterId: string;
  /** canonical (lower-case) */
  username: string;
  role: HsmRole;
  password: PasswordHash;
  /**
   * Legacy: rows (and backups) written before failed logins were counted per password hash
   * (login-failures.ts) held the count here. Read as a floor, never written.
   */
  failedLogins?: number;
  lockedOut?: boolean;
}

export interface HsmKeyRow {
  clusterId: string;
  /** CloudHSM-style key reference, e.g. 0x0000000000000007; kept by backup/restore. */
  handle: string;
  label: string;
  owner: string;
  keyType: 'aes';
  keySizeBits: 256;
  /** AES-256 key, wrapped under the cluster secret (AAD names the handle). */
  material: string;
  /** epoch ms */
  createdAt: number;
}

export interface HsmSecretRow {
  clusterId: string;
  /** 32 random bytes, wrapped by the root key for this cluster id. */
  secret: string;
  /** The next key handle number to hand out. */
  nextHandle: number;
  /** false until `cluster activate` replaced the unactivated admin's default password. */
  activated: boolean;
  /** The configured PKCS#11 token that keeps this cluster's KMS keys (ClusterView.pkcs11Token). */
  pkcs11Token?: string;
}

export interface HsmTables {
  users: Table<HsmUserRow>;
  keys: Table<HsmKeyRow>;
  secrets: Table<HsmSecretRow>;
}

export const HSM_KEY_TABLE = 'cloudhsm_hsm_keys';
export const HSM_SECRET_TABLE = 'cloudhsm_hsm_secrets';

export function hsmTables(store: Store): HsmTables {
  return {
    users: store.table<HsmUserRow>('cloudhsm_hsm_users'),
    keys: store.table<HsmKeyRow>(HSM_KEY_TABLE),
    secrets: store.table<HsmSecretRow>(HSM_SECRET_TABLE),
  };
}

export const userId = (clusterId: string, username: string): string => `${clusterId}/${username}`;
export const keyId = (clusterId: string, handle: string): string => `${clusterId}/${handle}`;

/** Every row of one cluster in a table, across pages. */
export async function clusterRows<T>(table: Table<T>, scope: Scope, clusterId: string): Promise<T[]> {
  const rows: T[] = [];
  let marker: string | undefined;
  do {
    const page = await table.list(scope, { prefix: `${clusterId}/`, limit: 1000, marker });
    rows.push(...page.items);
    marker = page.next;
  } while (marker);
  return rows;
}
