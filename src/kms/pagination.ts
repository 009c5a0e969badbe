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

const ARRAY_MARKER_PREFIX = 'o';

/**
 * Pages a list already in memory (a key's tags, rotations, filtered aliases). The marker
 * is the next offset; anything else is InvalidMarkerException, as for stored listings.
 */
export function pageArray<T>(items: T[], limit: number | undefined, marker: string | undefined, defaultLimit = 100): Page<T> {
  let start = 0;
  if (marker !== undefined) {
    const m = /^o(\d{1,9})$/.exec(Buffer.from(marker, 'base64url').toString('utf8'));
    if (!m || Number(m[1]) > items.length) throw new InvalidMarkerException('Invalid marker');
    start = Number(m[1]);
  }
  const end = start + (limit ?? defaultLimit);
  const next = end < items.length ? Buffer.from(`${ARRAY_MARKER_PREFIX}${end}`, 'utf8').toString('base64url') : undefined;
  return { items: items.slice(start, end), next };
}

/** The three fields every KMS list response ends with. */
export function pageFields(next: string | undefined): { NextMarker?: string; Truncated: boolean } {
  return { NextMarker: next, Truncated: next !== undefined };
}
