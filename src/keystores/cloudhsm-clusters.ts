/**
 * What the KMS custom key store feature needs from a CloudHSM cluster. KMS reaches CloudHSM
 * only through this interface; src/cloudhsm implements it. Mirrors the minimal adapter of
 * shared/spec/cloudhsm.md §9: describe, log in as kmsuser, rotate its password, keep a
 * session, and use non-extractable AES-256 keys owned by kmsuser.
 */
import type { Scope } from '../store/store.js';

/** The CloudHSM tag (CreateCluster TagList) that names the PKCS#11 token of a new cluster. */
export const PKCS11_TOKEN_TAG = 'kmsd:pkcs11-token';

export interface ClusterView {
  clusterId: string;
  /** CloudHSM cluster state; KMS needs ACTIVE. */
  state: string;
  hsms: { hsmId: string; state: string; availabilityZone: string; subnetId: string }[];
  /** AZ -> subnet id */
  subnetMapping: Record<string, string>;
  securityGroup?: string;
  /** PEM; identical for clusters that share a backup history. Absent before initialization. */
  clusterCertificate?: string;
  /**
   * The configured PKCS#11 token (by name) that holds this cluster's KMS keys instead of its
   * emulated HSMs: fixed when the cluster's first HSM is created (tag `kmsd:pkcs11-token`),
   * and inherited by clusters restored from its backups.
   */
  pkcs11Token?: string;
}

/** The reasons a login fails, named as KMS's ConnectionErrorCode values. */
export type LoginFailure =
  'INVALID_CREDENTIALS' | 'USER_NOT_FOUND' | 'USER_LOCKED_OUT' | 'USER_LOGGED_IN' | 'CLUSTER_NOT_FOUND' | 'INSUFFICIENT_CLOUDHSM_HSMS';

export type LoginResult = { ok: true; sessionId: string } | { ok: false; failure: LoginFailure };

/** A key operation failed because the cluster cannot serve it right now. */
export class HsmUnavailableError extends Error {
  constructor(
    readonly reason: 'CLUSTER_NOT_FOUND' | 'NO_ACTIVE_HSM' | 'SESSION_CLOSED' | 'KEY_NOT_FOUND',
    message: string,
  ) {
    super(message);
  }
}

/** AES-GCM authentication failed (altered ciphertext or AAD). */
export class HsmDecryptError extends Error {
  constructor() {
    super('HSM decryption failed authentication');
  }
}

export interface CloudHsmClusters {
  describeCluster(scope: Scope, clusterId: string): Promise<ClusterView | undefined>;

  /** Logs in as crypto user `username`; a wrong password counts toward its lockout. */
  login(scope: Scope, clusterId: string, username: string, password: string): Promise<LoginResult>;
  /** The logged-in user changes its own password (KMS rotates kmsuser's on connect). */
  changePassword(sessionId: string, newPassword: string): Promise<void>;
  logout(sessionId: string): Promise<void>;
  /** Throws HsmUnavailableError unless the session is open and its cluster has an ACTIVE HSM. */
  checkSession(sessionId: string): Promise<void>;

  /** A persistent, non-extractable AES-256 key owned by the session's user; returns its handle. */
  generateAesKey(sessionId: string, label: string): Promise<string>;
  /** Finds a key of the session's user by label (e.g. after moving to a restored cluster). */
  findKeyByLabel(sessionId: string, label: string): Promise<string | undefined>;
  /** AES-256-GCM inside the HSM. Result: iv(12) ‖ ciphertext ‖ tag(16). */
  encrypt(sessionId: string, keyHandle: string, plaintext: Buffer, aad: Buffer): Promise<Buffer>;
  /** Reverses encrypt; HsmDecryptError when authentication fails. */
  decrypt(sessionId: string, keyHandle: string, sealed: Buffer, aad: Buffer): Promise<Buffer>;
  deleteKey(sessionId: string, keyHandle: string): Promise<void>;
  /** Random bytes from the cluster's HSMs (GenerateRandom with CustomKeyStoreId). */
  random(sessionId: string, length: number): Promise<Buffer>;
}
