/**
 * The one place where the keystores port's errors become KMS exceptions: the KMS service runs
 * every handler through kmsErrorOf (service.ts), so a backend never builds a wire error and
 * every operation answers a key store failure alike. Operations that AWS answers differently
 * (CreateKey and the store settings of an external key store, xks-proxy.md §7) catch their
 * XksProxyError first (xks-key-stores.ts).
 */
import { KMSInvalidStateException } from '../generated/kms.js';
import {
  BackingKeyExhaustedError,
  BackingKeyNotFoundError,
  CiphertextAuthenticationError,
  KeyStoreUnavailableError,
  XksProxyError,
} from '../keystores/errors.js';
import type { XksFailure } from '../keystores/errors.js';
import { invalidCiphertext } from './ciphertext.js';

/** AWS's message for a crypto call a CloudHSM key store cannot serve (fix-keystore.md). */
export const CANNOT_COMMUNICATE_WITH_CLUSTER = 'KMS cannot communicate with your CloudHSM cluster.';

/** The KMS exception for a keystores error; anything else is returned unchanged. */
export function kmsErrorOf(err: unknown): unknown {
  // AWS sends InvalidCiphertextException with no message, whatever check failed.
  if (err instanceof CiphertextAuthenticationError) return invalidCiphertext();
  if (err instanceof KeyStoreUnavailableError) return new KMSInvalidStateException(CANNOT_COMMUNICATE_WITH_CLUSTER);
  // A key whose backing key is gone is unavailable, as a key in a disconnected store.
  if (err instanceof BackingKeyNotFoundError) return new KMSInvalidStateException(`${err.keyArn} is unavailable.`);
  if (err instanceof BackingKeyExhaustedError) {
    return new KMSInvalidStateException(
      `${err.keyArn} has encrypted ${err.messageLimit} messages, the most one AES-GCM key may with random IVs. Create a new KMS key in the custom key store and encrypt under it.`,
    );
  }
  // Encrypt, Decrypt, ReEncrypt, GenerateDataKey*: always KMSInvalidStateException, cause in the message (§7).
  if (err instanceof XksProxyError) {
    return new KMSInvalidStateException(`The external key store proxy could not complete the request: ${xksFailureCause(err.failure)}`);
  }
  return err;
}

export function xksFailureCause(failure: XksFailure): string {
  switch (failure) {
    case 'InvalidStateException':
      return 'the external key is not enabled.';
    case 'InvalidCiphertextException':
      return 'the proxy rejected the ciphertext or the encryption context.';
    case 'InvalidKeyUsageException':
      return 'the external key does not support the operation.';
    case 'AuthenticationFailedException':
      return 'the proxy could not authenticate the request; check the proxy credential.';
    case 'AccessDeniedException':
      return 'the proxy denied access to the operation.';
    case 'KeyNotFoundException':
      return 'the external key was not found.';
    case 'InvalidUriPathException':
      return 'the proxy does not serve the configured URI path.';
    case 'UnsupportedOperationException':
      return 'the proxy does not support the operation.';
    case 'TimedOut':
    case 'DependencyTimeoutException':
      return 'the proxy timed out.';
    case 'ThrottlingException':
      return 'the request rate to the proxy is too high.';
    case 'AllEkmsUnavailable':
      return 'the proxy cannot reach the external key manager.';
    case 'Unreachable':
      return 'KMS cannot connect to the proxy.';
    case 'TlsFailure':
      return 'KMS cannot establish a TLS connection to the proxy.';
    default:
      return 'KMS cannot interpret the response from the proxy.';
  }
}
