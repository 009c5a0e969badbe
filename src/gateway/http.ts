/**
 * The one HTTP edge of kmsd, shared by KMS, CloudHSM V2, STS, the console and /health.
 *
 * A request's way through, each stage a small function below:
 *   Host allowed (host-check.ts) -> size limit -> method/path -> Content-Type -> JSON parse (SerializationException)
 *   -> X-Amz-Target (UnknownOperationException) -> SigV4 (MissingAuthenticationToken,
 *   IncompleteSignature, InvalidSignature, UnrecognizedClient, ExpiredToken) -> principal
 *   (root, IAM user, or role session from its session token) -> shape/type check
 *   (SerializationException) -> model constraints (ValidationException, Coral text)
 *   -> the operation (which asks the authorizer) -> JSON response with x-amzn-RequestId
 *   -> one audit record.
 * A form-encoded body (or a GET with ?Action=) is STS's awsQuery protocol instead: SigV4 for
 * `sts` -> Action/Version -> the operation -> XML (awsquery.ts); the JSON path pays one
 * Content-Type comparison for it.
 * Anything unexpected (a bug, a store that fails: disk full, database gone) is logged and
 * answered as the service's 500 (KMSInternalException for KMS) that leaks nothing.
 * Every API request ends with one outcome (operation, status, error type, duration) for
 * metrics and the request log; routes that handled a request report none.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { Log } from '../core/log.js';
import type { Caller, QueryServiceEndpoint, ServiceEndpoint } from '../core/endpoint.js';
import { SerializationException, ServiceError, UnknownOperationException } from '../core/service-error.js';
import type { AuditEvent, AuditLog } from '../audit/audit-log.js';
import { eventSourceOf } from '../audit/audit-log.js';
import { redactJsonInput, redactQueryInput } from '../audit/redact.js';
import { JSON_CONTENT_TYPE, writeError, writeJson } from './awsjson.js';
import { asQueryError, FORM_CONTENT_TYPE, writeXmlError, writeXmlResult } from './awsquery.js';
import { hasOperation, invokeOperation, operationTarget } from './invoke.js';
import type { OperationTarget } from './invoke.js';
import type { ScreenedHeaders, SigV4Verifier, SignedRequest } from './sigv4.js';
import type { Json } from './validate.js';
import { checkHost } from './host-check.js';
import { isSecureRequest } from './secure-transport.js';

export const MAX_BODY_BYTES = 1024 * 1024;

/** A non-API route (health, console, test hooks): return true when it handled the request. */
export type Route = (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<boolean>;

export interface GatewayOptions {
  services: ServiceEndpoint[];
  /** STS, in the awsQuery protocol. */
  queryService?: QueryServiceEndpoint;
  /** One record per API call when set. */
  auditLog?: AuditLog;
  verifier: SigV4Verifier;
  clock: Clock;
  routes?: Route[];
  log?: Log;
  /** Called once per API request when its answer is written. */
  onOutcome?: (outcome: RequestOutcome) => void;
  /** Which Host headers are served (host-check.ts); every one when absent. */
  isAllowedHost?: (hostHeader: string | undefined) => boolean;
}

/** How one API request ended. Names come from the service models, never from the request. */
export interface RequestOutcome {
  requestId: string;
  /** The signing name (kms, cloudhsm, sts, ...), or `unknown` before the target is known. */
  service: string;
  /** The operation or STS action, or `unknown` when the request named none that exists. */
  operation: string;
  status: number;
  /** The error's __type (or query error code), absent on success. */
  errorType?: string;
  seconds: number;
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
  const log: Log = options.log ?? ((entry) => console.error(JSON.stringify(entry)));
  const onOutcome = options.onOutcome ?? (() => undefined);

  return (req, res) => {
    const started = performance.now();
    const requestId = randomUUID();
    // Every response carries the request id, errors and non-API routes (health) included.
    res.setHeader('x-amzn-RequestId', requestId);
    // The Date header tells SDKs the service's time; they correct their signing clock by it
    // (clock-skew correction), which matters once the service clock was moved.
    res.setHeader('Date', httpDate(options.clock));
    // Until the target is known, errors use KMS's lower-case `message`.
    let messageMember = 'message';
    let query: QueryServiceEndpoint | undefined;
    // Filled in as the request is understood; recorded once the call has an operation.
    let audit: AuditEvent | undefined;
    // What screenCredentials() learnt from the headers, reused once the body is read.
    let screened: ScreenedHeaders | undefined;
    let screenedTarget: Target | undefined;
    const api = { service: 'unknown', operation: 'unknown' };
    // Object literals here are written out member by member: a literal that goes on after a
    // spread defines each later member through a slow runtime call (a measurable share of a
    // request's instructions).
    const finish = (status: number, errorType?: string) =>
      onOutcome({
        requestId,
        service: api.service,
        operation: api.operation,
        status,
        errorType,
        seconds: (performance.now() - started) / 1000,
      });
    handle().catch((err: unknown) => {
      if (!(err instanceof ServiceError) || err.status === 500) {
        log({ level: 'error', msg: 'request failed', requestId, ...api, err });
      }
      let error = err instanceof ServiceError && err.status !== 500 ? err : internalFailure(messageMember, query !== undefined);
      if (query) error = asQueryError(error);
      if (audit) options.auditLog?.record({ ...audit, error: { code: error.code, message: error.message } });
      if (res.headersSent) res.destroy();
      else if (query) writeXmlError(res, requestId, query.xmlNamespace, error);
      else writeError(res, requestId, error, messageMember);
      finish(error.status, error.code);
    });

    async function handle(): Promise<void> {
      // Before anything else, routes included: a DNS-rebound page must not reach the console.
      if (options.isAllowedHost) checkHost(options.isAllowedHost, req.headers.host);
      // API calls (always on `/`) whose Authorization cannot be good are refused from their
      // headers: an anonymous client must not make kmsd read and hold its body.
      const path = pathOf(req.url ?? '/');
      if (path === '/') screenCredentials();
      const body = await readBody(req);
      // No route serves `/`, the API's path: API calls skip them.
      if (path !== '/') {
        for (const route of options.routes ?? []) {
          if (await route(req, res, body)) return;
        }
      }
      const contentType = mediaType(req);
      if (options.queryService && path === '/' && isQueryRequest(req, contentType)) {
        query = options.queryService;
        return handleQuery(query, body);
      }
      if (req.method !== 'POST' || path !== '/') throw new UnknownOperationException(`No route for ${req.method} ${path}`);
      checkContentType(contentType);
      const json = parseJson(body);
      const target = screenedTarget ?? resolveTarget(req, validators);
      const model = target.service.model;
      if (!screenedTarget) label(target);
      const identity = await options.verifier.verify(signedRequest(req, body), model.signingName, options.clock.now(), screened);
      const caller = callerOf(identity);
      if (audit) Object.assign(audit, identityFields(caller), { requestParameters: redactJsonInput(model, target.operation, json) });
      const output = await invokeOperation(target, target.operation, json, caller);
      writeJson(res, 200, requestId, output);
      if (audit) options.auditLog?.record(audit);
      finish(200);
    }

    async function handleQuery(service: QueryServiceEndpoint, body: Buffer): Promise<void> {
      const url = req.url ?? '/';
      const params = new URLSearchParams(req.method === 'GET' ? url.slice(url.indexOf('?') + 1) : body.toString('utf8'));
      const action = params.get('Action') ?? '';
      api.service = service.signingName;
      if (service.hasAction(action)) api.operation = action;
      if (options.auditLog) audit = auditEvent(eventSourceOf(service.signingName), action);
      const identity = await options.verifier.verify(signedRequest(req, body), service.signingName, options.clock.now(), screened);
      const caller = callerOf(identity);
      if (audit) Object.assign(audit, identityFields(caller), { requestParameters: redactQueryInput(params) });
      const version = params.get('Version') ?? 'NO_VERSION_SPECIFIED';
      if (!service.hasAction(action) || version !== service.version) {
        throw new ServiceError('InvalidAction', `Could not find operation ${action} for version ${version}`, 400);
      }
      const result = await service.handle(action, params, caller);
      writeXmlResult(res, requestId, service.xmlNamespace, action, result);
      if (audit) options.auditLog?.record(audit);
      finish(200);
    }

    /** What the error text, the metrics and the audit record say of a call to `target`. */
    function label(target: Target): void {
      const model = target.service.model;
      messageMember = model.errorMessageMember;
      api.service = model.signingName;
      api.operation = target.operation;
      if (options.auditLog) audit = auditEvent(eventSourceOf(model.signingName, model.targetPrefix), target.operation);
    }

    /** label() from X-Amz-Target alone, before the body is read; an unknown target labels nothing. */
    function labelByTarget(): void {
      try {
        screenedTarget = resolveTarget(req, validators);
        label(screenedTarget);
      } catch {
        // resolveTarget throws again, with its own error, once the body has been read.
      }
    }

    function screenCredentials(): void {
      if (options.queryService && isQueryRequest(req, mediaType(req))) query = options.queryService;
      else labelByTarget();
      try {
        screened = options.verifier.screen(req.headers, options.clock.now());
      } catch (err) {
        // The body is left unread: the connection closes after the answer.
        res.setHeader('Connection', 'close');
        req.resume();
        throw err;
      }
    }

    function callerOf(identity: Awaited<ReturnType<SigV4Verifier['verify']>>): Caller {
      const connection = connectionOf(req);
      return {
        accountId: identity.accountId,
        accessKeyId: identity.accessKeyId,
        region: identity.region,
        principal: identity.principal,
        requestId,
        sourceIp: connection.sourceIp,
        secureTransport: connection.secureTransport,
        audit: { resources: [] },
      };
    }

    function auditEvent(eventSource: string, eventName: string): AuditEvent {
      return {
        time: options.clock.now(),
        eventSource,
        eventName,
        sourceIp: connectionOf(req).sourceIp,
        userAgent: headerText(req.headers['user-agent']),
        resources: [],
        requestId,
      };
    }
  };
}

/**
 * The Date header's text, made once per second rather than per request (toUTCString is a
 * visible share of a small request's work). Keyed by the clock's second, so a test clock that
 * moves is followed at once.
 */
let dateSecond = NaN;
let dateText = '';
function httpDate(clock: Clock): string {
  const now = clock.now();
  const second = Math.floor(now.getTime() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = now.toUTCString();
  }
  return dateText;
}

/** The audit fields a verified caller adds; `resources` is the caller's own list, filled by the authorizer. */
function identityFields(caller: Caller): Partial<AuditEvent> {
  return { principal: caller.principal, accessKeyId: caller.accessKeyId, region: caller.region, resources: caller.audit.resources };
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function mediaType(req: IncomingMessage): string {
  const header = req.headers['content-type'] ?? '';
  const semicolon = header.indexOf(';');
  return (semicolon < 0 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

/** The URL without its query string (indexOf rather than split: one call per request fewer into the runtime). */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** awsQuery: a form-encoded POST, or a GET whose query string names an Action. */
function isQueryRequest(req: IncomingMessage, contentType: string): boolean {
  if (req.method === 'POST') return contentType === FORM_CONTENT_TYPE;
  return req.method === 'GET' && /[?&]Action=/.test(req.url ?? '');
}

/** aws:SourceIp and aws:SecureTransport: what the connection itself says, never a header. */
export function connectionOf(req: IncomingMessage): { sourceIp: string; secureTransport: boolean } {
  return {
    sourceIp: normalizeIp(req.socket.remoteAddress ?? ''),
    secureTransport: isSecureRequest(req),
  };
}

/** `::ffff:10.0.0.1` (an IPv4 client of a dual-stack socket) -> `10.0.0.1`, as IpAddress conditions expect. */
function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

function internalFailure(messageMember: string, query: boolean): ServiceError {
  // KMS's server fault is KMSInternalException; CloudHSM V2's is CloudHsmInternalFailureException;
  // the query protocol's is InternalFailure.
  if (query) return new ServiceError('InternalFailure', 'The request processing has failed because of an unknown error.', 500);
  return messageMember === 'Message'
    ? new ServiceError('CloudHsmInternalFailureException', 'The request was rejected because of an internal failure.', 500)
    : new ServiceError('KMSInternalException', 'The request was rejected because of an internal exception. Please try again.', 500);
}

/**
 * The whole body, refused past MAX_BODY_BYTES. Plain 'data'/'end' listeners rather than
 * `for await`: the async iterator costs several promise hops per request, measurable at tens
 * of thousands of small requests a second.
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    return Promise.reject(new RequestTooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        req.resume();
        reject(new RequestTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.once('error', reject);
    // A client that goes away mid-body: 'end' never comes, so the request must not wait forever.
    req.once('close', () => {
      if (!req.complete) reject(new Error('the client closed the connection before sending the whole body'));
    });
  });
}

function checkContentType(ct: string): void {
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
  return { service: entry.service, validator: entry.validator, operation };
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
