/**
 * Where a KMS key's material lives. The KMS service seals and opens ciphertext bodies
 * through this interface and never sees how material is kept: in kmsd's own store (origin
 * AWS_KMS), inside an emulated CloudHSM cluster (AWS_CLOUDHSM), behind an external key
 * store proxy (EXTERNAL_KEY_STORE), in a PKCS#11 token. Failures are the port's own errors
 * (errors.ts).
 */
import type { Scope } from '../store/store.js';
import type { KeyStoreError } from './errors.js';

/** What a backend needs to know about the KMS key it works for. */
export interface BackendKeyRef {
  scope: Scope;
  keyId: string;
  arn: string;
  /** The key material version (64 hex characters). */
  materialId: string;
  customKeyStoreId?: string;
  /** Origin EXTERNAL_KEY_STORE: the external key's id at the XKS proxy. */
  xksKeyId?: string;
}

export interface SymmetricKeyBackend {
  /** Creates new material for `ref` (a new key, or a rotation). */
  createMaterial(ref: BackendKeyRef): Promise<void>;
  /** Encrypts `plaintext` bound to `aad`; the result is opaque to the caller. */
  seal(ref: BackendKeyRef, plaintext: Buffer, aad: Buffer): Promise<Buffer>;
  /** Reverses `seal`; throws CiphertextAuthenticationError (errors.ts) when the body or AAD was altered. */
  open(ref: BackendKeyRef, body: Buffer, aad: Buffer): Promise<Buffer>;
  /** Removes the material once the key is finally deleted. */
  destroyMaterial(ref: BackendKeyRef): Promise<void>;
  /**
   * Whether the key store could serve a key operation now, as this node sees it. Never
   * throws for an unhealthy store: the error it would throw comes back in the result.
   */
  health(scope: Scope, customKeyStoreId?: string): Promise<KeyStoreHealth>;
}

export type KeyStoreHealth = { healthy: true } | { healthy: false; error: KeyStoreError };
