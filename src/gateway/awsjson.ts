/**
 * awsJson1_1 on the wire: blobs as base64, timestamps as epoch seconds, unset members
 * omitted; errors as {"__type": Name, "message"|"Message": text}.
 */
import type { ServerResponse } from 'node:http';
import type { ServiceError } from '../core/service-error.js';

export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** Converts a handler's output (Buffers, Dates) to its JSON wire form. */
export function toWire(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined || v === null) continue;
      // A map key named `__proto__` must stay a plain key: assignment would set the prototype.
      // Every other key is assigned, which is much cheaper than defineProperty.
      if (k === '__proto__') Object.defineProperty(out, k, { value: toWire(v), enumerable: true, writable: true, configurable: true });
      else out[k] = toWire(v);
    }
    return out;
  }
  return value;
}

export function writeJson(
  res: ServerResponse,
  status: number,
  requestId: string,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): void {
  // A string, not a Buffer: Node joins a string body to the header block and sends both in
  // one write; a Buffer goes out as a second chunk through writev (a syscall's cost per
  // response, the largest single cost in a profile of Encrypt under load).
  const payload = JSON.stringify(body ?? {});
  res.writeHead(status, {
    'Content-Type': JSON_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(payload),
    'x-amzn-RequestId': requestId,
    ...extraHeaders,
  });
  res.end(payload, 'utf8');
}

/**
 * An error with an empty message is sent as `{"__type": Name}` alone: real AWS KMS sends no
 * message at all for KMSInvalidSignatureException, InvalidCiphertextException,
 * KMSInvalidMacException and a few others (responses recorded from AWS).
 */
export function writeError(res: ServerResponse, requestId: string, error: ServiceError, messageMember: string): void {
  const body = error.message === '' ? { __type: error.code } : { __type: error.code, [messageMember]: error.message };
  writeJson(res, error.status, requestId, body, { 'x-amzn-ErrorType': error.code });
}
