/**
 * The web console's server side, mounted by the gateway at /console:
 *
 *   GET    /console, /console/...      the built single-page app (static-files.ts)
 *   POST   /console/api/session         sign in with an access key id + secret from the config
 *                                       (an account's root key or an IAM user's key)
 *   GET    /console/api/session         who is signed in (and the CSRF token, for a reloaded page)
 *   DELETE /console/api/session         sign out (CSRF token required)
 *   POST   /console/api/call            {service, operation, input, region} (CSRF token required)
 *
 * A call runs through invokeOperation, exactly like a SigV4 request: same model validation,
 * same handler, under the signed-in principal in the chosen region, so the same policies decide.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../core/clock.js';
import type { Store } from '../../store/store.js';
import type { Caller, ServiceEndpoint } from '../../core/endpoint.js';
import { ServiceError, ValidationException } from '../../core/service-error.js';
import type { Route } from '../../gateway/http.js';
import { connectionOf } from '../../gateway/http.js';
import { isSecureRequest } from '../../gateway/secure-transport.js';
import { invokeOperation, operationTarget } from '../../gateway/invoke.js';
import type { OperationTarget } from '../../gateway/invoke.js';
import type { Json } from '../../gateway/validate.js';
import type { AuditEvent, AuditLog } from '../../audit/audit-log.js';
import { eventSourceOf } from '../../audit/audit-log.js';
import { redactJsonInput } from '../../audit/redact.js';
import { ConsoleSessions, constantTimeEqual, IDLE_MS, MAX_FAILED_SIGN_INS } from './sessions.js';
import type { ConsoleCredential, ConsoleSession } from './sessions.js';
import { DEFAULT_ASSET_DIR, SECURITY_HEADERS, serveStatic } from './static-files.js';
import { isKnownRegion } from '../../core/regions.js';

export const SESSION_COOKIE = 'kmsd_console_session';
export const CSRF_HEADER = 'x-kmsd-csrf-token';

/** The console's short service names and the X-Amz-Target prefix each stands for. */
export const CONSOLE_SERVICES: Record<string, string> = {
  kms: 'TrentService',
  cloudhsm: 'BaldrApiService',
  hsm: 'KmsdHsmManagement',
};

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export interface ConsoleOptions {
  services: ServiceEndpoint[];
  /** The long-term access key with this id, if any. */
  credentials: (accessKeyId: string) => ConsoleCredential | undefined;
  clock: Clock;
  /** Where sessions and sign-in failures live, shared by every worker and node. */
  store: Store;
  /** Console calls are API calls: they are audited like SigV4 ones. */
  auditLog?: AuditLog;
  /** The built app; defaults to dist/console/public of this package. */
  assetDir?: string;
}

class ConsoleError extends ServiceError {}

const notSignedIn = () => new ConsoleError('NotSignedIn', 'Sign in to use the console.', 401);

export function createConsoleRoute(options: ConsoleOptions): Route {
  const sessions = new ConsoleSessions(options.store, options.credentials, options.clock);
  const byPrefix = new Map(options.services.map((s) => [s.model.targetPrefix, operationTarget(s)]));
  const assetDir = options.assetDir ?? DEFAULT_ASSET_DIR;

  return async (req, res, body) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/console' && !path.startsWith('/console/')) return false;
    if (!path.startsWith('/console/api/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendJson(res, 405, { __type: 'MethodNotAllowed', message: `${req.method} is not allowed here.` });
      } else {
        serveStatic(assetDir, path.slice('/console/'.length), res, req.method === 'HEAD');
      }
      return true;
    }
    try {
      await api(req, res, path.slice('/console/api/'.length), body);
    } catch (err) {
      if (!(err instanceof ServiceError) || err.status === 500) throw err;
      sendJson(res, err.status, { __type: err.code, message: err.message });
    }
    return true;
  };

  async function api(req: IncomingMessage, res: ServerResponse, endpoint: string, body: Buffer): Promise<void> {
    checkOrigin(req);
    const sessionId = readCookie(req, SESSION_COOKIE);
    const route = `${req.method} ${endpoint}`;
    if (route === 'POST session') return signIn(req, res, parseBody(req, body));
    const session = await sessions.get(sessionId);
    if (!session || !sessionId) throw notSignedIn();
    if (route === 'GET session') return sendJson(res, 200, sessionView(session));
    // Everything below changes state or acts as the account: it needs the CSRF token.
    checkCsrf(req, session);
    if (route === 'DELETE session') {
      await sessions.end(sessionId);
      return sendJson(res, 200, {}, { 'Set-Cookie': cookie(req, '', 0) });
    }
    if (route === 'POST call') return call(req, res, session, parseBody(req, body));
    throw new ConsoleError('NotFound', `No console API ${route}.`, 404);
  }

  async function signIn(req: IncomingMessage, res: ServerResponse, input: Record<string, Json>): Promise<void> {
    const { accessKeyId, secretAccessKey } = input;
    if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string' || !accessKeyId || !secretAccessKey) {
      throw new ValidationException('Enter an access key ID and a secret access key.');
    }
    const check = await sessions.verify(accessKeyId, secretAccessKey, req.socket.remoteAddress ?? '');
    if (!check.ok && check.pausedUntil !== undefined) {
      const minutes = Math.ceil((check.pausedUntil - options.clock.now().getTime()) / 60_000);
      throw new ConsoleError(
        'TooManyFailedSignIns',
        `Sign-in with this access key ID is paused after ${MAX_FAILED_SIGN_INS} failed attempts; try again in ${minutes} minute(s).`,
        429,
      );
    }
    if (!check.ok) throw new ConsoleError('InvalidCredentials', 'The access key ID or the secret access key is not correct.', 401);
    const { id, session } = await sessions.create(check.credential);
    sendJson(res, 200, sessionView(session), { 'Set-Cookie': cookie(req, id, IDLE_MS / 1000) });
  }

  async function call(req: IncomingMessage, res: ServerResponse, session: ConsoleSession, input: Record<string, Json>): Promise<void> {
    const { service, operation, region } = input;
    if (typeof service !== 'string' || !Object.prototype.hasOwnProperty.call(CONSOLE_SERVICES, service)) {
      throw new ValidationException(`service must be one of ${Object.keys(CONSOLE_SERVICES).join(', ')}.`);
    }
    if (typeof operation !== 'string' || !operation) throw new ValidationException('operation must be an operation name.');
    if (typeof region !== 'string' || !REGION.test(region) || !isKnownRegion(region))
      throw new ValidationException('region must be a Region name such as us-east-1.');
    const target: OperationTarget | undefined = byPrefix.get(CONSOLE_SERVICES[service]);
    if (!target) throw new ConsoleError('NotImplementedException', `The ${service} service is not available in this kmsd yet.`, 501);
    const caller: Caller = {
      accountId: session.accountId,
      accessKeyId: session.accessKeyId,
      region,
      requestId: randomUUID(),
      principal: session.principal,
      ...connectionOf(req),
      audit: { resources: [] },
    };
    const model = target.service.model;
    const audit: AuditEvent | undefined = options.auditLog && {
      time: options.clock.now(),
      eventSource: eventSourceOf(model.signingName, model.targetPrefix),
      eventName: operation,
      region,
      sourceIp: caller.sourceIp,
      userAgent: req.headers['user-agent'],
      principal: caller.principal,
      accessKeyId: caller.accessKeyId,
      requestParameters: redactJsonInput(model, operation, input.input ?? {}),
      resources: caller.audit.resources,
      requestId: caller.requestId,
      fromConsole: true,
    };
    let output: unknown;
    try {
      output = await invokeOperation(target, operation, input.input ?? {}, caller);
    } catch (err) {
      const known = err instanceof ServiceError && err.status !== 500;
      if (audit)
        options.auditLog?.record({
          ...audit,
          error: known ? { code: err.code, message: err.message } : { code: 'InternalFailure', message: '' },
        });
      throw err;
    }
    if (audit) options.auditLog?.record(audit);
    sendJson(res, 200, output, { 'x-amzn-RequestId': caller.requestId });
  }
}

function sessionView(session: ConsoleSession): Record<string, string> {
  return {
    accountId: session.accountId,
    accessKeyId: session.accessKeyId,
    principalArn: session.principal.arn,
    csrfToken: session.csrfToken,
  };
}

/** Under TLS the cookie is Secure: a browser then never sends it over plain HTTP. */
function cookie(req: IncomingMessage, value: string, maxAgeSeconds: number): string {
  const secure = isSecureRequest(req) ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function checkCsrf(req: IncomingMessage, session: ConsoleSession): void {
  const header = req.headers[CSRF_HEADER];
  const token = Array.isArray(header) ? header[0] : header;
  if (!token || !constantTimeEqual(token, session.csrfToken)) {
    throw new ConsoleError('InvalidCsrfToken', `The request lacks a valid ${CSRF_HEADER} header.`, 403);
  }
}

/**
 * A browser always sends Origin on cross-site POSTs; refuse any that is not this server: same
 * host and port (the gateway already checked Host) and same scheme, so a page served over
 * plain HTTP cannot drive an HTTPS console.
 */
function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  const scheme = isSecureRequest(req) ? 'https:' : 'http:';
  if (url?.host !== req.headers.host || url?.protocol !== scheme)
    throw new ConsoleError('InvalidOrigin', 'Cross-origin requests to the console are not allowed.', 403);
}

function parseBody(req: IncomingMessage, body: Buffer): Record<string, Json> {
  // JSON only: an HTML form cannot send it, which closes form-based cross-site posts.
  const ct = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (ct !== 'application/json') throw new ConsoleError('UnsupportedMediaType', 'Send the request body as application/json.', 415);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    throw new ValidationException('The request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ValidationException('The request body must be a JSON object.');
  return parsed as Record<string, Json>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': payload.length,
    'Cache-Control': 'no-store',
    ...SECURITY_HEADERS,
    ...headers,
  });
  res.end(payload);
}
