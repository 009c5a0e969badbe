import { InvalidMarkerException } from '../generated/kms.js';
import { InvalidMarkerError } from '../store/store.js';
import type { Page, Scope, Table } from '../store/store.js';

/** KMS list operations: Limit 1–1000, default 100; a marker we did not issue is InvalidMarkerException. */
export async function pageOf<T>(
  table: Table<T>,
  scope: Scope,
  limit: number | undefined,
  marker: string | undefined,
  prefix?: string,
): Promise<Page<T>> {
  try {
    return await table.list(scope, { limit: limit ?? 100, marker, prefix });
  } catch (err) {
    if (err instanceof InvalidMarkerError) throw new InvalidMarkerException('Invalid marker');
    throw err;
  }
}
