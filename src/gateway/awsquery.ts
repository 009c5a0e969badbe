/**
 * The awsQuery protocol (STS): form-encoded `Action=…&Version=…` in, XML out.
 *
 * Success: `<OpResponse xmlns=…><OpResult>…</OpResult><ResponseMetadata><RequestId>…`;
 * errors: `<ErrorResponse xmlns=…><Error><Type>Sender|Receiver</Type><Code>…</Code>
 * <Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>`, as the Smithy
 * awsQuery protocol document and AWS's own responses show (spec authorization.md §7.1).
 */
import type { ServerResponse } from 'node:http';
import type { XmlValue } from '../core/endpoint.js';
import { ServiceError } from '../core/service-error.js';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Element text: only what XML requires is escaped (quotes stay as they are, as in AWS's messages). */
function escapeXml(text: string): string {
  return text.replace(/[&<>]/g, (c) => ESCAPES[c]);
}

function element(name: string, value: XmlValue): string {
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (Array.isArray(value)) return `<${name}>${value.map((v) => element('member', v)).join('')}</${name}>`;
  if (typeof value === 'object') {
    const children = Object.entries(value)
      .filter((entry): entry is [string, XmlValue] => entry[1] !== undefined)
      .map(([k, v]) => element(k, v))
      .join('');
    return `<${name}>${children}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function send(res: ServerResponse, status: number, requestId: string, xml: string): void {
  // A string body goes out in one write with the headers (see writeJson).
  res.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(xml), 'x-amzn-RequestId': requestId });
  res.end(xml, 'utf8');
}

export function writeXmlResult(res: ServerResponse, requestId: string, namespace: string, action: string, result: XmlValue): void {
  const body = element(`${action}Result`, result) + element('ResponseMetadata', { RequestId: requestId });
  send(res, 200, requestId, `<${action}Response xmlns="${namespace}">${body}</${action}Response>`);
}

/**
 * The query protocol's codes for the faults the shared SigV4 verifier raises under their JSON
 * names (STS answers, e.g., `InvalidClientTokenId` where KMS says `UnrecognizedClientException`).
 */
const QUERY_ERRORS: Record<string, { code: string; status: number }> = {
  UnrecognizedClientException: { code: 'InvalidClientTokenId', status: 403 },
  InvalidSignatureException: { code: 'SignatureDoesNotMatch', status: 403 },
  IncompleteSignatureException: { code: 'IncompleteSignature', status: 400 },
  MissingAuthenticationTokenException: { code: 'MissingAuthenticationToken', status: 403 },
  ExpiredTokenException: { code: 'ExpiredToken', status: 400 },
  SerializationException: { code: 'MalformedQueryString', status: 400 },
  UnknownOperationException: { code: 'InvalidAction', status: 400 },
  RequestEntityTooLargeException: { code: 'RequestEntityTooLarge', status: 413 },
};

/** The same error in the query protocol's names (see QUERY_ERRORS). */
export function asQueryError(error: ServiceError): ServiceError {
  const mapped = QUERY_ERRORS[error.code];
  return mapped ? new ServiceError(mapped.code, error.message, mapped.status) : error;
}

export function writeXmlError(res: ServerResponse, requestId: string, namespace: string, error: ServiceError): void {
  const fault = error.status >= 500 ? 'Receiver' : 'Sender';
  const body = element('Error', { Type: fault, Code: error.code, Message: error.message }) + element('RequestId', requestId);
  send(res, error.status, requestId, `<ErrorResponse xmlns="${namespace}">${body}</ErrorResponse>`);
}
