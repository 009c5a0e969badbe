/**
 * A PKCS#11 module (a shared library such as SoftHSM2's libsofthsm2.so), loaded and
 * initialized once per process and path: Cryptoki allows one C_Initialize per application,
 * and a second answers CKR_CRYPTOKI_ALREADY_INITIALIZED. Tokens share the instance and
 * release it; the last release finalizes the module.
 */
import pkcs11js from 'pkcs11js';
import { Pkcs11UnavailableError } from './errors.js';

interface LoadedModule {
  module: pkcs11js.PKCS11;
  users: number;
}

const loaded = new Map<string, LoadedModule>();

export function acquireModule(path: string): pkcs11js.PKCS11 {
  const existing = loaded.get(path);
  if (existing) {
    existing.users++;
    return existing.module;
  }
  const module = new pkcs11js.PKCS11();
  try {
    module.load(path);
    // Node calls the module from its thread pool (the async C_Encrypt/C_Decrypt), so the
    // module must lock with the OS's primitives; SoftHSM2 refuses to run threaded without it.
    module.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (err) {
    throw new Pkcs11UnavailableError(`cannot initialize the PKCS#11 module ${path}: ${cryptokiReason(err)}`);
  }
  loaded.set(path, { module, users: 1 });
  return module;
}

export function releaseModule(path: string): void {
  const entry = loaded.get(path);
  if (!entry) return;
  entry.users--;
  if (entry.users > 0) return;
  loaded.delete(path);
  try {
    entry.module.C_Finalize();
    entry.module.close();
  } catch {
    // Finalizing is best effort: the process is letting go of the module either way.
  }
}

/** The CKR_* name of a pkcs11js failure, or its message: never anything the caller passed in. */
export function cryptokiReason(err: unknown): string {
  if (err instanceof Error) return /CKR_[A-Z_]+/.exec(err.message)?.[0] ?? err.message;
  return String(err);
}
