/**
 * A small XKS proxy for tests (XKS Proxy API v1, shared/spec/xks-proxy.md): node:http,
 * SigV4 verification with service `kms-xks-proxy`, AES-256-GCM keys held in memory. It is a
 * real peer: kmsd's requests must be correctly signed and shaped for it to answer.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { newXksCredential } from '../../src/xks-proxy/credentials.js';

export interface XksTestKey {
  material: Buffer;
  keySpec: string;
  keyUsage: string[];
  keyStatus: 'ENABLED' | 'DISABLED';
}

export interface XksTestCredential {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface XksProxyRequestLog {
  path: string;
  requestMetadata: Record<string, unknown>;
}

export interface TestXksProxy {
  /** `http://127.0.0.1:<port>`: where kmsd sends the requests. */
  url: string;
  /** The SigV4 `host` kmsd signs (the store's configured endpoint host). */
  credential: XksTestCredential;
  /** `[/prefix]/kms/xks/v1`: the one base path served (others are InvalidUriPathException). */
  uriPath: string;
  keys: Map<string, XksTestKey>;
  /** Every accepted request, for asserting requestMetadata. */
  requests: XksProxyRequestLog[];
  /** Health of the single EKM instance reported by GetHealthStatus. */
  ekmHealth: 'ACTIVE' | 'DEGRADED' | 'UNAVAILABLE';
  /** Milliseconds to wait before answering (a slow proxy). */
  delayMs: number;
  /** Answer every request with a 200 whose body is not JSON (a broken proxy). */
  garbled: boolean;
  /**
   * Answer every signed request with this spec error, GetHealthStatus included (a proxy that
   * does not exempt it from its authorization rules, or one whose EKM is failing).
   */
  failWith?: { status: number; errorName: string };
  /** TCP connections accepted so far (kmsd keeps them alive across calls). */
  connections: number;
  addKey(id: string, overrides?: Partial<XksTestKey>): void;
  /** HTTPS proxies only: serve another certificate from now on. */
  setCertificate(tls: XksProxyTls): void;
  close(): Promise<void>;
}

/** A credential in the spec's alphabet (kmsd xks-proxy makes them the same way). */
export { newXksCredential };

/** Certificate and key (PEM) to serve HTTPS with; without them the proxy speaks plain HTTP. */
export interface XksProxyTls {
  cert: string;
  key: string;
}

export async function startXksProxy(tls?: XksProxyTls): Promise<TestXksProxy> {
  const state: Omit<TestXksProxy, 'url' | 'close' | 'addKey' | 'setCertificate'> = {
    credential: newXksCredential(),
    uriPath: '/kms/xks/v1',
    keys: new Map(),
    requests: [],
    ekmHealth: 'ACTIVE',
    delayMs: 0,
    garbled: false,
    connections: 0,
  };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch(() => send(res, 500, { errorName: 'InternalException' }));
  };
  const server: Server = tls ? createHttpsServer({ ...tls, minVersion: 'TLSv1.2' }, listener) : createServer(listener);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
    if (state.garbled) {
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<html>proxy error</html>');
    }
    const path = req.url ?? '';
    const route = routeOf(state.uriPath, path);
    if (!route) return send(res, 404, { errorName: 'InvalidUriPathException' });
    // §1: every API is POST; anything else is 405.
    if (req.method !== 'POST') return send(res, 405, { errorName: 'ValidationException' });
    if (!(await signatureValid(req, path, body, state.credential))) {
      return send(res, 401, { errorName: 'AuthenticationFailedException' });
    }
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return send(res, 400, { errorName: 'ValidationException' });
    }
    state.requests.push({ path, requestMetadata: (input.requestMetadata ?? {}) as Record<string, unknown> });
    if (state.failWith) return send(res, state.failWith.status, { errorName: state.failWith.errorName });
    if (route.api === 'health') {
      return send(res, 200, {
        xksProxyFleetSize: 1,
        xksProxyVendor: 'kmsd tests',
        xksProxyModel: 'test-xks-proxy',
        ekmVendor: 'memory',
        ekmFleetDetails: [{ id: 'ekm-1', model: 'memory', healthStatus: state.ekmHealth }],
      });
    }
    const key = state.keys.get(route.keyId);
    if (!key) return send(res, 404, { errorName: 'KeyNotFoundException' });
    if (route.api === 'metadata') return send(res, 200, { keySpec: key.keySpec, keyUsage: key.keyUsage, keyStatus: key.keyStatus });
    if (key.keyStatus !== 'ENABLED') return send(res, 400, { errorName: 'InvalidStateException' });
    const aad = Buffer.from(String(input.additionalAuthenticatedData ?? ''), 'base64');
    // Vendor metadata authenticated as §4.2 prescribes.
    const ctm = Buffer.from('v=1', 'utf8');
    const gcmAad = Buffer.concat([u16(aad.length), aad, Buffer.from([ctm.length]), ctm]);
    if (route.api === 'encrypt') {
      const plaintext = Buffer.from(String(input.plaintext ?? ''), 'base64');
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key.material, iv);
      cipher.setAAD(gcmAad);
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const tag = cipher.getAuthTag();
      const cdiv = createHash('sha256').update(aad).update(ctm).update(iv).update(ciphertext).update(tag).digest();
      return send(res, 200, {
        ciphertext: ciphertext.toString('base64'),
        ciphertextMetadata: ctm.toString('base64'),
        initializationVector: iv.toString('base64'),
        authenticationTag: tag.toString('base64'),
        ciphertextDataIntegrityValue: cdiv.toString('base64'),
      });
    }
    const givenCtm = Buffer.from(String(input.ciphertextMetadata ?? ''), 'base64');
    const decryptAad = Buffer.concat([u16(aad.length), aad, Buffer.from([givenCtm.length]), givenCtm]);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.material, Buffer.from(String(input.initializationVector), 'base64'));
      decipher.setAAD(decryptAad);
      decipher.setAuthTag(Buffer.from(String(input.authenticationTag), 'base64'));
      const ct = Buffer.from(String(input.ciphertext), 'base64');
      const plaintext = Buffer.concat([decipher.update(ct), decipher.final()]);
      return send(res, 200, { plaintext: plaintext.toString('base64') });
    } catch {
      return send(res, 400, { errorName: 'InvalidCiphertextException' });
    }
  }

  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxy: TestXksProxy = Object.assign(state, {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    setCertificate(next: XksProxyTls) {
      (server as HttpsServer).setSecureContext({ ...next, minVersion: 'TLSv1.2' });
    },
    addKey(id: string, overrides: Partial<XksTestKey> = {}) {
      state.keys.set(id, {
        material: randomBytes(32),
        keySpec: 'AES_256',
        keyUsage: ['ENCRYPT', 'DECRYPT'],
        keyStatus: 'ENABLED',
        ...overrides,
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return proxy;
}

function routeOf(base: string, path: string): { api: 'health' } | { api: 'metadata' | 'encrypt' | 'decrypt'; keyId: string } | undefined {
  if (!path.startsWith(`${base}/`)) return undefined;
  const rest = path.slice(base.length);
  if (rest === '/health') return { api: 'health' };
  const match = /^\/keys\/([A-Za-z0-9._-]{1,128})\/(metadata|encrypt|decrypt)$/.exec(rest);
  return match ? { api: match[2] as 'metadata' | 'encrypt' | 'decrypt', keyId: match[1] } : undefined;
}

/**
 * Re-signs the request as received (host, x-amz-date, body) and compares the Authorization
 * header. One proxy serves kmsd in every Region of a test, so the Region is read from the
 * credential scope, whose service must be kms-xks-proxy.
 */
async function signatureValid(req: IncomingMessage, path: string, body: string, credential: XksTestCredential): Promise<boolean> {
  const authorization = req.headers.authorization;
  const scope = /Credential=[A-Z2-7]+\/\d{8}\/([a-z0-9-]+)\/kms-xks-proxy\/aws4_request,/.exec(authorization ?? '');
  if (!scope) return false;
  const region = scope[1];
  const amzDate = req.headers['x-amz-date'];
  const host = req.headers.host;
  if (typeof authorization !== 'string' || typeof amzDate !== 'string' || !host) return false;
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!date) return false;
  const signingDate = new Date(Date.UTC(+date[1], +date[2] - 1, +date[3], +date[4], +date[5], +date[6]));
  // §5: a proxy rejects timestamps more than 5 minutes off.
  if (Math.abs(Date.now() - signingDate.getTime()) > 5 * 60_000) return false;
  const signer = new SignatureV4({
    service: 'kms-xks-proxy',
    region,
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
  });
  const expected = await signer.sign(new HttpRequest({ method: 'POST', hostname: host, path, headers: { host }, body }), { signingDate });
  const a = Buffer.from(authorization);
  const b = Buffer.from(String(expected.headers.authorization));
  return a.length === b.length && timingSafeEqual(a, b);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
