/**
 * The PKCS#11 backend's own errors. Callers (the XKS proxy, later the KMS operation layer)
 * map them to their wire errors; a Cryptoki return code name (CKR_*) may appear in the
 * message, never a PIN or key material.
 */

/** The module could not be loaded or initialized, the token is absent, or the PIN was refused. */
export class Pkcs11UnavailableError extends Error {
  override name = 'Pkcs11UnavailableError';
}

/** No secret key with this label in the token. */
export class Pkcs11KeyNotFoundError extends Error {
  override name = 'Pkcs11KeyNotFoundError';
  constructor(readonly label: string) {
    super(`no key labelled '${label}' in the token`);
  }
}

/** A key with this label already exists (labels name keys uniquely here). */
export class Pkcs11KeyExistsError extends Error {
  override name = 'Pkcs11KeyExistsError';
  constructor(readonly label: string) {
    super(`a key labelled '${label}' already exists in the token`);
  }
}

/** AES-GCM refused the ciphertext: wrong tag, IV, AAD or key. */
export class Pkcs11DecryptionFailedError extends Error {
  override name = 'Pkcs11DecryptionFailedError';
  constructor() {
    super('the token could not authenticate the ciphertext');
  }
}

/** The key does not allow the operation (CKA_ENCRYPT or CKA_DECRYPT false, or not an AES key). */
export class Pkcs11KeyUsageError extends Error {
  override name = 'Pkcs11KeyUsageError';
}

/** Any other Cryptoki failure. */
export class Pkcs11OperationError extends Error {
  override name = 'Pkcs11OperationError';
}
