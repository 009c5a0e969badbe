/**
 * The keystores port's own errors. A backend throws these and never a KMS wire error; the
 * KMS operation layer turns them into the exceptions and messages AWS sends, in one place
 * (src/kms/keystore-errors.ts). Each error carries what that message needs (a key ARN, a
 * limit, a proxy failure kind) and nothing secret: no key material, password or plaintext.
 */
import type { XksErrorName } from './xks-error-names.js';

export abstract class KeyStoreError extends Error {
  override name = 'KeyStoreError';
}

/**
 * The key store cannot serve the call right now: this node holds no session for it (a
 * restart whose reconnect failed), or its cluster lost every ACTIVE HSM or is gone.
 */
export class KeyStoreUnavailableError extends KeyStoreError {
  override name = 'KeyStoreUnavailableError';
}

/** The backing key of a KMS key is not in its key store (deleted there, or never found again after a cluster swap). */
export class BackingKeyNotFoundError extends KeyStoreError {
  override name = 'BackingKeyNotFoundError';
  constructor(readonly keyArn: string) {
    super(`the backing key of ${keyArn} is not in its key store`);
  }
}

/** The backing key has sealed as many messages as AES-GCM with random IVs safely allows. */
export class BackingKeyExhaustedError extends KeyStoreError {
  override name = 'BackingKeyExhaustedError';
  constructor(
    readonly keyArn: string,
    readonly messageLimit: number,
  ) {
    super(`the backing key of ${keyArn} reached its limit of ${messageLimit} messages`);
  }
}

/** A body failed authentication: altered, truncated, sealed under other AAD or material. */
export class CiphertextAuthenticationError extends KeyStoreError {
  override name = 'CiphertextAuthenticationError';
  constructor() {
    super('ciphertext failed authentication');
  }
}

/** The spec's error names (xks-proxy.md §6), plus what KMS itself observes about the transport. */
export type XksFailure =
  | XksErrorName
  /** TCP failure: nothing answered. */
  | 'Unreachable'
  /** No answer within the timeout. */
  | 'TimedOut'
  /** The TLS handshake failed (certificate, hostname, protocol). */
  | 'TlsFailure'
  /** An answer KMS cannot interpret (not JSON, unknown errorName, missing fields). */
  | 'InvalidResponse'
  /** GetHealthStatus answered, but every external key manager is UNAVAILABLE (§4.4). */
  | 'AllEkmsUnavailable';

/** An external key store's proxy call failed; `failure` says how (the KMS layer maps it per operation, §7). */
export class XksProxyError extends KeyStoreError {
  override name = 'XksProxyError';
  constructor(readonly failure: XksFailure) {
    super(`XKS proxy call failed: ${failure}`);
  }
}
