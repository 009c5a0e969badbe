/**
 * The external key manager (EKM) behind the proxy: a PKCS#11 token today (Pkcs11Token has
 * exactly this shape). Its errors become the spec's error names here, in one place.
 */
import type { GcmSealed, Pkcs11KeyInfo, Pkcs11TokenHealth } from '../keystores/pkcs11/pkcs11-token.js';
import {
  Pkcs11DecryptionFailedError,
  Pkcs11KeyNotFoundError,
  Pkcs11KeyUsageError,
  Pkcs11UnavailableError,
} from '../keystores/pkcs11/errors.js';
import { XksError } from './errors.js';

export interface ExternalKeyManager {
  describeKey(label: string): Promise<Pkcs11KeyInfo | undefined>;
  encrypt(label: string, plaintext: Buffer, aad: Buffer): Promise<GcmSealed>;
  decrypt(label: string, sealed: GcmSealed, aad: Buffer): Promise<Buffer>;
  health(): Promise<Pkcs11TokenHealth>;
}

/** xks-proxy.md §6: which error name each kind of key manager failure is answered with. */
export function asXksError(err: unknown): XksError {
  if (err instanceof XksError) return err;
  if (err instanceof Pkcs11KeyNotFoundError) return new XksError('KeyNotFoundException', 'no such external key');
  if (err instanceof Pkcs11KeyUsageError) return new XksError('InvalidKeyUsageException', 'the external key does not allow this operation');
  if (err instanceof Pkcs11DecryptionFailedError)
    return new XksError('InvalidCiphertextException', 'the ciphertext, IV, tag or AAD is not authentic');
  if (err instanceof Pkcs11UnavailableError) return new XksError('InternalException', 'the key manager is unavailable');
  return new XksError('InternalException', 'the key manager failed');
}
