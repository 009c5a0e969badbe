/** The checks GetParametersForImport, ImportKeyMaterial and DeleteImportedKeyMaterial share. */
import { KMSInvalidStateException, UnsupportedOperationException } from '../generated/kms.js';
import type { KeyRow } from './keys.js';

/**
 * Only keys of origin EXTERNAL take imported material (AWS's message, recorded); a key pending
 * deletion refuses a new import (key-state table, note 8).
 */
export function assertImportable(key: KeyRow): void {
  assertExternal(key);
  if (key.state === 'PendingDeletion') throw new KMSInvalidStateException(`${key.arn} is pending deletion.`);
}

export function assertExternal(key: KeyRow): void {
  if (key.origin !== 'EXTERNAL' || key.customKeyStoreId) {
    throw new UnsupportedOperationException(`${key.arn} origin is ${key.origin} which is not valid for this operation.`);
  }
}
