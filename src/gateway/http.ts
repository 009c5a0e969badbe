/**
 * The one HTTP edge of kmsd, shared by KMS, CloudHSM V2, the console and /health.
 *
 * A request's way through, each stage a small function below:
 *   Host allowed (host-check.ts) -> size limit -> method/path -> Content-Type -> JSON parse (SerializationException)
 *   -> X-Amz-Target (UnknownOperationException) -> SigV4 (MissingAuthenticationToken,
 *   IncompleteSignature, InvalidSignature, UnrecognizedClient) -> shape/type check
 *   (SerializationException) -> model constraints (ValidationException, Coral text)
 *   -> the operation -> JSON response with x-amzn-RequestId.
 * Anything unexpected is logged and answered as a 500 InternalFailure that leaks nothing.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { ServiceEndpoint } from '../core/endpoint.js';
import { SerializationException, ServiceError, UnknownOperationException } from '../core/service-error.js';
import { JSON_CONTENT_TYPE, writeError, writeJson } from './awsjson.js';
import { hasOperation, invokeOperation, operationTarget } from './invoke.js';
import type { OperationTarget } from './invoke.js';
import type { SigV4Verifier, SignedRequest } from './sigv4.js';
import type { Json } from './validate.js';
import { checkHost } from './host-check.js';

export const MAX_BODY_BYTES = 1024 * 1024;

/** A non-API route (health, console, test hooks): return true when it handled the request. */
export type Route = (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<boolean>;

export interface GatewayOptions {
  services: ServiceEndpoint[];
  verifier: SigV4Verifier;
  clock: Clock;
  routes?: Route[];
  log?: (entry: Record<string, unknown>) => void;
  /** Which Host headers are served (host-check.ts); every one when absent. */
  isAllowedHost?: (hostHeader: string | undefined) => boolean;
}

interface Target extends OperationTarget {
  operation: string;
}

class RequestTooLarge extends ServiceError {
  constructor() {
    super('RequestEntityTooLargeException', `Request body must be at most ${MAX_BODY_BYTES} bytes.`, 413);
  }
}

export function createGateway(options: GatewayOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const validators = new Map(options.services.map((s) => [s.model.targetPrefix, operationTarget(s)]));
  const log = options.log ?? ((entry) => console.error(JSON.stringify(entry)));

  return (req, res) => {
    const requestId = randomUUID();
    // Every response carries the request id, errors and non-API routes (health) included.
    res.setHeader('x-amzn-RequestId', requestId);
    // The Date header tells SDKs the service's time; they correct their signing clock by it
    // (clock-skew correction), which matters once the service clock was moved.
    res.setHeader('Date', options.clock.now().toUTCString());
    // Until the target is known, errors use KMS's lower-case `message`.
    let messageMember = 'message';
    handle().catch((err: unknown) => {
      if (!(err instanceof ServiceError) || err.status === 500) {
        log({ level: 'error', requestId, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      }
      const error = err instanceof ServiceError && err.status !== 500 ? err : internalFailure(messageMember);
      if (!res.headersSent) writeError(res, requestId, error, messageMember);
      else res.destroy();
    });

    async function handle(): Promise<void> {
      // Before anything else, routes included: a DNS-rebound page must not reach the console.
      if (options.isAllowedHost) checkHost(options.isAllowedHost, req.headers.host);
      const body = await readBody(req);
      for (const route of options.routes ?? []) {
        if (await route(req, res, body)) return;
      }
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'POST' || path !== '/') throw new UnknownOperationException(`No route for ${req.method} ${path}`);
      checkContentType(req);
      const json = parseJson(body);
      const target = resolveTarget(req, validators);
      messageMember = target.service.model.errorMessageMember;
      const caller = await options.verifier.verify(signedRequest(req, body), target.service.model.signingName, options.clock.now());
      const output = await invokeOperation(target, target.operation, json, { ...caller, requestId });
      writeJson(res, 200, requestId, output);
    }
  };
}

function internalFailure(messageMember: string): ServiceError {
  // KMS's server fault is KMSInternalException; CloudHSM V2's is CloudHsmInternalFailureException.
  return messageMember === 'Message'
    ? new ServiceError('CloudHsmInternalFailureException', 'The request was rejected because of an internal failure.', 500)
    : new ServiceError('KMSInternalException', 'The request was rejected because of an internal exception. Please try again.', 500);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    throw new RequestTooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      req.resume();
      throw new RequestTooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

function checkContentType(req: IncomingMessage): void {
  const ct = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  // The SDKs send 1.1; 1.0 is accepted too because awsJson protocols treat them alike.
  if (ct !== JSON_CONTENT_TYPE && ct !== 'application/x-amz-json-1.0') {
    throw new UnknownOperationException(`Unsupported Content-Type '${ct}'; expected ${JSON_CONTENT_TYPE}.`);
  }
}

function parseJson(body: Buffer): Json {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8')) as Json;
  } catch {
    throw new SerializationException('Malformed JSON in the request body.');
  }
}

function resolveTarget(req: IncomingMessage, services: Map<string, OperationTarget>): Target {
  const header = req.headers['x-amz-target'];
  const target = Array.isArray(header) ? header[0] : header;
  if (!target) throw new UnknownOperationException('Missing X-Amz-Target header.');
  const dot = target.indexOf('.');
  const entry = dot > 0 ? services.get(target.slice(0, dot)) : undefined;
  const operation = dot > 0 ? target.slice(dot + 1) : '';
  if (!entry || !hasOperation(entry, operation)) {
    throw new UnknownOperationException(`Unknown operation ${target}.`);
  }
  return { ...entry, operation };
}

function signedRequest(req: IncomingMessage, body: Buffer): SignedRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return {
    method: req.method ?? 'POST',
    path: q >= 0 ? url.slice(0, q) : url,
    query: q >= 0 ? url.slice(q + 1) : '',
    headers: req.headers,
    body,
  };
}
