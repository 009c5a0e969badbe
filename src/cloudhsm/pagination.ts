/**
 * CloudHSM list operations filter and sort in memory (clusters, backups and tags are few per
 * account), so a page token only needs the position of the next item. It is opaque to
 * clients and bound to the operation that issued it.
 */
import { CloudHsmInvalidRequestException } from '../generated/cloudhsmv2.js';

export function paginate<T>(
  items: T[],
  listing: string,
  maxResults: number | undefined,
  max: number,
  token: string | undefined,
): { page: T[]; next?: string } {
  let start = 0;
  if (token !== undefined) {
    const m = /^kmsd:([a-zA-Z]+):(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!m || m[1] !== listing) throw new CloudHsmInvalidRequestException('The NextToken value is not valid.');
    start = Number(m[2]);
  }
  const size = maxResults ?? max;
  const page = items.slice(start, start + size);
  const end = start + page.length;
  return end < items.length ? { page, next: Buffer.from(`kmsd:${listing}:${end}`).toString('base64url') } : { page };
}
