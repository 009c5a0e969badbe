/**
 * `kmsd xks-proxy`: the server side of the XKS Proxy API v1 (shared/spec/xks-proxy.md), with
 * keys in a PKCS#11 token. A request goes:
 *
 * load limits (429 ThrottlingException, §6: an overloaded proxy refuses before any work) ->
 * path (`{uriPath}/health`, `{uriPath}/keys/{id}/metadata|encrypt|decrypt`, else 404
 * InvalidUriPathException) -> method (POST only; 405 otherwise, §1) -> body size -> SigV4
 * with service `kms-xks-proxy` against the configured credentials (401
 * AuthenticationFailedException, §5) -> JSON (400 ValidationException) -> secondary
 * authorization of key APIs (403 AccessDeniedException, §5) -> the operation -> JSON
 * answer, and one log line carrying kmsRequestId (never a plaintext or a secret).
 *
 * `GET /ping` answers `pong` to load balancers, before any of that: no credential, no
 * limit (an overloaded proxy should not also be taken out of its pool), nothing revealed.
 *
 * HTTPS only (§1, TLS 1.2+); with a client CA, KMS must present a certificate it issued
 * (optional mTLS). Several credentials may be valid at once, for rotation without downtime (§5).
 */
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SigV4Verifier } from '../gateway/sigv4.js';
import type { Log } from '../core/log.js';
import { XksError } from './errors.js';
import { asXksError } from './key-manager.js';
import type { ExternalKeyManager } from './key-manager.js';
import { requestMetadata } from './request.js';
import type { JsonObject } from './request.js';
import { XksAuthorizer } from './authorization.js';
import type { XksAuthorizationRule } from './authorization.js';
import { DEFAULT_MAX_IN_FLIGHT, RequestLimiter } from './request-limiter.js';
import type { RequestLimits } from './request-limiter.js';
import type { XksProxyCredential } from './credentials.js';
import { getKeyMetadata } from './operations/get-key-metadata.js';
import { encrypt } from './operations/encrypt.js';
import { decrypt } from './operations/decrypt.js';
import { getHealthStatus } from './operations/get-health-status.js';

/** Enough for the spec's minimums (4300-byte plaintexts, 8192-byte AAD) in base64, with room. */
const MAX_BODY_BYTES = 64 * 1024;
const SERVICE = 'kms-xks-proxy';
/** The credentials are not IAM identities; the verifier wants an account for its principal. */
const NO_ACCOUNT = '000000000000';
/** The AWS sample proxy's load balancer check path (xks-proxy.md §2). */
const PING_PATH = '/ping';

export interface XksProxyServerOptions {
  /** `[/prefix]/kms/xks/v1`: the key store's XksProxyUriPath. */
  uriPath: string;
  credentials: XksProxyCredential[];
  keys: ExternalKeyManager;
  tls: {
    cert: string | Buffer;
    key: string | Buffer;
    /** PEM CA bundle: when given, clients must present a certificate it issued (mTLS). */
    clientCa?: string | Buffer;
  };
  /** Secondary authorization rules; none (the default) allows every request. */
  authorization?: XksAuthorizationRule[];
  limits?: RequestLimits;
  log?: Log;
}

export interface XksProxyServer {
  listen(port: number, host: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

type Route = { api: 'health' } | { api: 'metadata' | 'encrypt' | 'decrypt'; keyId: string };

export function createXksProxyServer(options: XksProxyServerOptions): XksProxyServer {
  const verifier = new SigV4Verifier(options.credentials.map((c) => ({ ...c, accountId: NO_ACCOUNT })));
  const log: Log = options.log ?? (() => {});
  const authorizer = new XksAuthorizer(options.authorization ?? []);
  const limiter = new RequestLimiter(options.limits ?? { maxInFlight: DEFAULT_MAX_IN_FLIGHT });
  const server: Server = createServer(
    {
      cert: options.tls.cert,
      key: options.tls.key,
      minVersion: 'TLSv1.2',
      ...(options.tls.clientCa ? { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
    },
    (req, res) => {
      void handle(req, res).catch((err: unknown) => {
        log({ level: 'error', msg: 'xks request failed', err });
        send(res, 500, { errorName: 'InternalException' });
      });
    },
  );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path === PING_PATH) return ping(req, res);
    const route = routeOf(options.uriPath, path);
    let status = 200;
    let errorName: string | undefined;
    let meta: JsonObject = {};
    let admitted = false;
    try {
      admitted = limiter.tryAcquire();
      if (!admitted) throw new XksError('ThrottlingException', 'the proxy is handling too many requests; retry later');
      if (!route) throw new XksError('InvalidUriPathException', 'no XKS API at this path');
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        status = 405;
        errorName = 'ValidationException';
        return send(res, 405, { errorName, errorMessage: 'XKS APIs accept POST only' });
      }
      const raw = await readBody(req);
      let accessKeyId: string;
      try {
        const signer = await verifier.verify(
          { method: 'POST', path, query: '', headers: signable(req.headers), body: raw },
          SERVICE,
          new Date(),
        );
        accessKeyId = signer.accessKeyId;
      } catch {
        throw new XksError('AuthenticationFailedException', 'the request signature is not valid for any configured credential');
      }
      const body = parseJson(raw);
      meta = typeof body.requestMetadata === 'object' && body.requestMetadata !== null ? (body.requestMetadata as JsonObject) : {};
      if (route.api !== 'health') authorize(route, accessKeyId, body);
      const answer = await run(route, body);
      return send(res, 200, answer);
    } catch (err) {
      const failure = asXksError(err);
      status = failure.status;
      errorName = failure.errorName;
      return send(res, failure.status, { errorName: failure.errorName, errorMessage: failure.message });
    } finally {
      if (admitted) limiter.release();
      log({
        level: status === 200 ? 'debug' : 'info',
        msg: 'xks request',
        api: route?.api,
        keyId: route && 'keyId' in route ? route.keyId : undefined,
        kmsRequestId: meta.kmsRequestId,
        kmsOperation: meta.kmsOperation,
        status,
        errorName,
      });
    }
  }

  /** §5 secondary authorization; GetHealthStatus never comes here (§4.4). */
  function authorize(route: Route & { keyId: string }, accessKeyId: string, body: JsonObject): void {
    if (!authorizer.enabled) return;
    // The operation would refuse the same missing members with the same ValidationException.
    const meta = requestMetadata(body, route.api === 'metadata' ? ['awsPrincipalArn'] : ['awsPrincipalArn', 'kmsKeyArn']);
    const request = {
      accessKeyIds: accessKeyId,
      xksKeyIds: route.keyId,
      kmsKeyArns: meta.kmsKeyArn,
      awsPrincipalArns: meta.awsPrincipalArn,
      kmsOperations: meta.kmsOperation,
    };
    try {
      authorizer.authorize(request);
    } catch (err) {
      // Who was refused what, for the operator; the access key id names a credential, it is not one.
      log({ level: 'warn', msg: 'xks request denied', api: route.api, kmsRequestId: meta.kmsRequestId, ...request });
      throw err;
    }
  }

  async function run(route: Route, body: JsonObject): Promise<JsonObject> {
    switch (route.api) {
      case 'health':
        return getHealthStatus(options.keys);
      case 'metadata':
        return getKeyMetadata(options.keys, route.keyId, body);
      case 'encrypt':
        return encrypt(options.keys, route.keyId, body);
      case 'decrypt':
        return decrypt(options.keys, route.keyId, body);
    }
  }

  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * KMS signs only host and x-amz-date (§5) and sends Content-Type unsigned; kmsd's own API
 * insists that Content-Type be signed, a rule the XKS API does not have.
 */
function signable(headers: IncomingMessage['headers']): IncomingMessage['headers'] {
  const signed = /SignedHeaders=([^,\s]+)/.exec(headers.authorization ?? '')?.[1].split(';') ?? [];
  if (signed.includes('content-type')) return headers;
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'content-type'));
}

function routeOf(base: string, path: string): Route | undefined {
  if (!path.startsWith(`${base}/`)) return undefined;
  const rest = path.slice(base.length);
  if (rest === '/health') return { api: 'health' };
  // §2: external key ids are 1-128 characters of [A-Za-z0-9._-].
  const match = /^\/keys\/([A-Za-z0-9._-]{1,128})\/(metadata|encrypt|decrypt)$/.exec(rest);
  return match ? { api: match[2] as 'metadata' | 'encrypt' | 'decrypt', keyId: match[1] } : undefined;
}

/** Load balancer health check: 200 `pong` to GET and HEAD, nothing about the proxy itself. */
function ping(req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 });
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 4 });
  res.end(req.method === 'HEAD' ? undefined : 'pong');
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new XksError('ValidationException', 'the request body is too large'));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // A client gone before its body ended must not hold its place under the in-flight limit.
    req.on('close', () => reject(new XksError('ValidationException', 'the request body ended early')));
  });
}

function parseJson(raw: Buffer): JsonObject {
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as JsonObject;
  } catch {
    // Reported below.
  }
  throw new XksError('ValidationException', 'the request body is not a JSON object');
}

function send(res: ServerResponse, status: number, body: JsonObject): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
