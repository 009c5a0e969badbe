/**
 * KMS's side of the XKS Proxy API v1 (xks-proxy.md): JSON over HTTP(S) POST, signed with
 * SigV4 under the store's proxy credential and service `kms-xks-proxy` (§5), one timeout
 * per call (AWS waits 250 ms, §1). Failures come back as XksProxyError with a kind that the
 * KMS layer maps to its own exceptions (§7); this module never throws KMS wire errors.
 *
 * Neither the secret nor any plaintext is logged or put into an error message.
 */
import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { SecureContext } from 'node:tls';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { XksProxyError } from './errors.js';
import type { XksFailure } from './errors.js';
import { isXksErrorName } from './xks-error-names.js';

/** AWS KMS gives up on a proxy call after 250 ms (xks-proxy.md §1). */
export const XKS_CALL_TIMEOUT_MS = 250;
const MAX_RESPONSE_BYTES = 64 * 1024;
/**
 * Idle keep-alive connections to a proxy are closed after this: below the 5 s keep-alive
 * timeout of Node's HTTP server (kmsd xks-proxy), so kmsd does not reuse a connection the
 * proxy is closing.
 */
const IDLE_CONNECTION_MS = 4_000;
/** Agents kept at most (one per store's proxy); the oldest is closed beyond this. */
const MAX_AGENTS = 256;

export { XksProxyError } from './errors.js';
export type { XksFailure } from './errors.js';

/** One external key store's proxy, as KMS knows it. */
export interface XksProxyTarget {
  /** `https://host` as configured (XksProxyUriEndpoint). */
  uriEndpoint: string;
  /** `[/prefix]/kms/xks/v1` (XksProxyUriPath). */
  uriPath: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The KMS Region making the call: part of the SigV4 scope (§5). */
  region: string;
}

/** requestMetadata (§3); kmsKeyArn only for Encrypt/Decrypt, awsPrincipalArn not for health. */
export interface XksRequestMetadata {
  kmsRequestId: string;
  kmsOperation: string;
  awsPrincipalArn?: string;
  kmsKeyArn?: string;
}

export interface XksHealth {
  xksProxyFleetSize: number;
  ekmFleetDetails: { id?: string; model?: string; healthStatus: string }[];
}

export interface XksKeyMetadata {
  keySpec: string;
  keyUsage: string[];
  keyStatus: string;
}

export interface XksCiphertext {
  ciphertext: Buffer;
  initializationVector: Buffer;
  authenticationTag: Buffer;
  ciphertextMetadata?: Buffer;
}

export interface XksProxyClientOptions {
  /**
   * Where to send a store's requests instead of its XksProxyUriEndpoint, by endpoint
   * (e.g. `https://xks.example.com` -> `http://127.0.0.1:8443`). The SigV4 `host` stays the
   * configured one, as a proxy behind a load balancer sees it. For tests and private setups.
   */
  endpointOverrides?: Record<string, string>;
  /** Extra CA certificates (PEM) trusted for proxy TLS besides Node's public CAs. */
  ca?: string;
  timeoutMs?: number;
}

export class XksProxyClient {
  private readonly timeoutMs: number;

  /** Built once: parsing the public roots for every call would cost more than the call. */
  private readonly secureContext: SecureContext;

  /**
   * Keep-alive agents, one per store's proxy settings (destination, TLS server name, path,
   * access key id): an Encrypt reuses the store's TLS session instead of a handshake per
   * call. Changed settings pick a new agent; the client's CA is fixed for its lifetime
   * (a new CA means a new client).
   */
  private readonly agents = new Map<string, HttpAgent>();

  constructor(private readonly options: XksProxyClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? XKS_CALL_TIMEOUT_MS;
    // A configured CA adds to Node's public roots rather than replacing them.
    this.secureContext = createSecureContext({
      ca: options.ca ? [...rootCertificates, options.ca] : undefined,
      minVersion: 'TLSv1.2',
    });
  }

  async getHealthStatus(target: XksProxyTarget, metadata: XksRequestMetadata): Promise<XksHealth> {
    // A fresh connection: the health check validates the proxy's current TLS setup (a
    // renewed or replaced certificate), which a kept-alive session would not see.
    const body = await this.call(target, '/health', { requestMetadata: metadata }, true);
    const size = body.xksProxyFleetSize;
    const fleet = body.ekmFleetDetails;
    if (typeof size !== 'number' || size < 1 || !Array.isArray(fleet) || fleet.length === 0) {
      throw new XksProxyError('InvalidResponse');
    }
    const details = fleet.map((entry: unknown) => {
      const status = (entry as { healthStatus?: unknown } | null)?.healthStatus;
      if (status !== 'ACTIVE' && status !== 'DEGRADED' && status !== 'UNAVAILABLE') throw new XksProxyError('InvalidResponse');
      return { healthStatus: status };
    });
    // §4.4: a proxy whose every key manager is unavailable counts as unreachable.
    if (details.every((d) => d.healthStatus === 'UNAVAILABLE')) throw new XksProxyError('AllEkmsUnavailable');
    return { xksProxyFleetSize: size, ekmFleetDetails: details };
  }

  async getKeyMetadata(target: XksProxyTarget, keyId: string, metadata: XksRequestMetadata): Promise<XksKeyMetadata> {
    const body = await this.call(target, `/keys/${encodeURIComponent(keyId)}/metadata`, { requestMetadata: metadata });
    const { keySpec, keyUsage, keyStatus } = body;
    if (typeof keySpec !== 'string' || typeof keyStatus !== 'string' || !Array.isArray(keyUsage)) {
      throw new XksProxyError('InvalidResponse');
    }
    return { keySpec, keyStatus, keyUsage: keyUsage.filter((u): u is string => typeof u === 'string') };
  }

  /**
   * Encrypt with AES_GCM and a SHA_256 ciphertext data integrity value, which is checked
   * here as KMS does (§4.2): a mismatch means the proxy's answer cannot be trusted.
   */
  async encrypt(
    target: XksProxyTarget,
    keyId: string,
    plaintext: Buffer,
    aad: Buffer,
    metadata: XksRequestMetadata,
  ): Promise<XksCiphertext> {
    const body = await this.call(target, `/keys/${encodeURIComponent(keyId)}/encrypt`, {
      requestMetadata: metadata,
      plaintext: plaintext.toString('base64'),
      encryptionAlgorithm: 'AES_GCM',
      additionalAuthenticatedData: aad.toString('base64'),
      ciphertextDataIntegrityValueAlgorithm: 'SHA_256',
    });
    const ciphertext = b64(body.ciphertext);
    const iv = b64(body.initializationVector);
    const tag = b64(body.authenticationTag);
    const ctm = body.ciphertextMetadata === undefined ? undefined : b64(body.ciphertextMetadata);
    const cdiv = b64(body.ciphertextDataIntegrityValue);
    if (!ciphertext || !iv || !tag || !cdiv || (body.ciphertextMetadata !== undefined && !ctm)) throw new XksProxyError('InvalidResponse');
    // Shapes from §4.2: same length as the plaintext, 12/16-byte IV, 16-byte tag, metadata ≤ 20 bytes.
    if (ciphertext.length !== plaintext.length || (iv.length !== 12 && iv.length !== 16) || tag.length !== 16 || (ctm && ctm.length > 20)) {
      throw new XksProxyError('InvalidResponse');
    }
    const expected = integrityValue(aad, ctm, iv, ciphertext, tag);
    if (!expected.equals(cdiv)) throw new XksProxyError('InvalidResponse');
    return { ciphertext, initializationVector: iv, authenticationTag: tag, ciphertextMetadata: ctm };
  }

  async decrypt(target: XksProxyTarget, keyId: string, sealed: XksCiphertext, aad: Buffer, metadata: XksRequestMetadata): Promise<Buffer> {
    const request: Record<string, unknown> = {
      requestMetadata: metadata,
      ciphertext: sealed.ciphertext.toString('base64'),
      encryptionAlgorithm: 'AES_GCM',
      additionalAuthenticatedData: aad.toString('base64'),
      initializationVector: sealed.initializationVector.toString('base64'),
      authenticationTag: sealed.authenticationTag.toString('base64'),
    };
    if (sealed.ciphertextMetadata) request.ciphertextMetadata = sealed.ciphertextMetadata.toString('base64');
    const body = await this.call(target, `/keys/${encodeURIComponent(keyId)}/decrypt`, request);
    const plaintext = b64(body.plaintext);
    if (!plaintext || plaintext.length !== sealed.ciphertext.length) throw new XksProxyError('InvalidResponse');
    return plaintext;
  }

  /** One signed POST; resolves with the parsed 200 body or throws XksProxyError. */
  private async call(
    target: XksProxyTarget,
    api: string,
    payload: Record<string, unknown>,
    fresh = false,
  ): Promise<Record<string, unknown>> {
    const configured = new URL(target.uriEndpoint);
    const destination = new URL(this.options.endpointOverrides?.[target.uriEndpoint] ?? target.uriEndpoint);
    const path = `${target.uriPath}${api}`;
    const body = JSON.stringify(payload);
    const signer = new SignatureV4({
      service: 'kms-xks-proxy',
      region: target.region,
      credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
      sha256: Hash.bind(null, 'sha256'),
    });
    // §5: only host and x-amz-date are signed; the payload hash covers the body.
    const signed = await signer.sign(
      new HttpRequest({
        method: 'POST',
        protocol: configured.protocol,
        hostname: configured.hostname,
        path,
        headers: { host: configured.host, 'content-type': 'application/json' },
        body,
      }),
      { unsignableHeaders: new Set(['content-type']) },
    );
    const agentKey = [destination.origin, configured.hostname, target.uriPath, target.accessKeyId].join(' ');
    if (fresh) this.forget(agentKey);
    const response = await this.send(destination, path, signed.headers, body, this.agentFor(agentKey, destination.protocol === 'https:'));
    return interpret(response.status, response.body);
  }

  /** Closes every kept connection (kmsd is shutting down). */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private forget(key: string): void {
    this.agents.get(key)?.destroy();
    this.agents.delete(key);
  }

  private agentFor(key: string, tls: boolean): HttpAgent {
    let agent = this.agents.get(key);
    if (agent) return agent;
    if (this.agents.size >= MAX_AGENTS) {
      const [oldestKey, oldest] = this.agents.entries().next().value as [string, HttpAgent];
      oldest.destroy();
      this.agents.delete(oldestKey);
    }
    const options = { keepAlive: true, timeout: IDLE_CONNECTION_MS, maxFreeSockets: 16 };
    agent = tls ? new HttpsAgent(options) : new HttpAgent(options);
    this.agents.set(key, agent);
    return agent;
  }

  /**
   * One POST within the call's timeout. A kept connection the proxy closed in the meantime
   * fails before any answer; that request is sent once more on a new connection, within the
   * same timeout (the proxy never saw it).
   */
  private send(
    destination: URL,
    path: string,
    headers: Record<string, string>,
    body: string,
    agent: HttpAgent,
  ): Promise<{ status: number; body: string }> {
    const tls = destination.protocol === 'https:';
    return new Promise((resolve, reject) => {
      let settled = false;
      let req: ClientRequest;
      const fail = (failure: XksFailure) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(new XksProxyError(failure));
      };
      const timer = setTimeout(() => fail('TimedOut'), this.timeoutMs);
      const options = {
        method: 'POST',
        hostname: destination.hostname,
        port: destination.port || (tls ? 443 : 80),
        path,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        agent,
        // The certificate must name the configured endpoint's host, wherever the request goes.
        ...(tls ? { servername: hostOf(headers), secureContext: this.secureContext } : {}),
      };
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) fail('InvalidResponse');
          else chunks.push(chunk);
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', () => fail('Unreachable'));
      };
      const attempt = (retryOnStaleConnection: boolean) => {
        req = tls ? httpsRequest(options, onResponse) : httpRequest(options, onResponse);
        // A failure after the TCP connection was made but before the TLS session was up is a
        // TLS problem (untrusted or expired certificate, wrong host name, protocol), whatever
        // OpenSSL's code for it; anything else means the proxy could not be reached.
        let tcpUp = false;
        let tlsUp = false;
        req.on('socket', (socket) => {
          socket.once('connect', () => (tcpUp = true));
          socket.once('secureConnect', () => (tlsUp = true));
        });
        const sent = req;
        sent.on('error', () => {
          if (settled || sent !== req) return;
          if (retryOnStaleConnection && sent.reusedSocket) return attempt(false);
          fail(tls && tcpUp && !tlsUp ? 'TlsFailure' : 'Unreachable');
        });
        sent.end(body);
      };
      attempt(true);
    });
  }
}

function interpret(status: number, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new XksProxyError('InvalidResponse');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new XksProxyError('InvalidResponse');
  const body = parsed as Record<string, unknown>;
  if (status === 200) return body;
  // §7: KMS maps errorName only; errorMessage goes to logs, never to the KMS caller.
  const name = body.errorName;
  if (isXksErrorName(name)) throw new XksProxyError(name);
  throw new XksProxyError('InvalidResponse');
}

function b64(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  return Buffer.from(value, 'base64');
}

/** CDIV = SHA-256(aad ‖ ciphertextMetadata ‖ iv ‖ ciphertext ‖ tag), missing parts empty (§4.2). */
export function integrityValue(aad: Buffer, ctm: Buffer | undefined, iv: Buffer, ciphertext: Buffer, tag: Buffer): Buffer {
  return createHash('sha256')
    .update(aad)
    .update(ctm ?? Buffer.alloc(0))
    .update(iv)
    .update(ciphertext)
    .update(tag)
    .digest();
}

function hostOf(headers: Record<string, string>): string {
  return (headers.host ?? '').replace(/:\d+$/, '');
}
