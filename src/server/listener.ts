/**
 * The socket side of kmsd: plain HTTP, or HTTPS on the same port for the API and the console.
 *
 * Under TLS a front TCP server looks at each connection's first byte. A TLS handshake starts
 * with a handshake record (0x16) and goes to the HTTPS server; anything else is a client
 * speaking plain HTTP to the HTTPS port, which gets one short 400 answer saying so (Node's
 * https server would only drop the connection, which clients report as a bare socket error).
 * Requests therefore always arrive on TLS sockets (`req.socket.encrypted`), so whatever reads
 * that (aws:SecureTransport, the console's Secure cookie) follows the listener.
 */
import { createServer as createHttpServer } from 'node:http';
import type { RequestListener, Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server as TcpServer, Socket } from 'node:net';

export interface TlsMaterial {
  /** PEM certificate (chain), leaf first. */
  cert: string | Buffer;
  /** PEM private key of the leaf certificate. */
  key: string | Buffer;
}

/** How long a client may take and how many may connect; every value settable (kmsd serve). */
export interface ServerLimits {
  /** The whole request, headers and body, must arrive within this (Node's requestTimeout). */
  requestTimeoutMs: number;
  /** The headers must arrive within this (Node's headersTimeout; at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Connections beyond this are closed at once. */
  maxConnections: number;
}

/**
 * A slow client is cut off after 30 s (the request) or 20 s (its headers); keep-alive
 * connections idle for 65 s close, longer than the 60 s idle timeout of AWS's load balancers so a
 * client behind one never reuses a connection kmsd has just closed.
 */
export const DEFAULT_LIMITS: ServerLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 20_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 10_000,
};

export interface ListenerOptions {
  tls?: TlsMaterial;
  limits?: Partial<ServerLimits>;
}

export interface Listener {
  /** True when the listener serves HTTPS. */
  readonly secure: boolean;
  /**
   * `onError` hears what the server reports once it listens (accept failures such as EMFILE):
   * without a listener, such an 'error' event would crash the process with a stack trace.
   */
  listen(port: number, host: string, onError: (err: Error) => void): Promise<AddressInfo>;
  /** Stops accepting connections, closes idle keep-alive ones, resolves once all have ended. */
  close(): Promise<void>;
}

/** RFC 8446 §5.1: ContentType handshake(22) opens every TLS (and SSL 3) client hello. */
const TLS_HANDSHAKE_RECORD = 0x16;
/** A connection that sends nothing for this long before choosing a protocol is dropped. */
const FIRST_BYTE_TIMEOUT_MS = 30_000;
/**
 * One year, without includeSubDomains or preload: the certificate covers this host only, and
 * a development certificate for localhost must not pin other localhost services to HTTPS.
 */
export const HSTS_HEADER = 'max-age=31536000';

export function createListener(handler: RequestListener, options: ListenerOptions = {}): Listener {
  // A limit given as undefined keeps its default (a plain spread would copy the undefined).
  const given = Object.entries(options.limits ?? {}).filter(([, v]) => v !== undefined);
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...Object.fromEntries(given) };
  const serverOptions = {
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
    // Node looks for timed-out requests every 30 s by default, which would let a slow client
    // hold on for up to twice its timeout.
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
  };
  if (!options.tls) {
    const server = createHttpServer(serverOptions, handler);
    server.maxConnections = limits.maxConnections;
    return plainListener(server);
  }
  return tlsListener(options.tls, serverOptions, limits.maxConnections, handler);
}

function plainListener(server: HttpServer): Listener {
  return {
    secure: false,
    listen: (port, host, onError) => listenOn(server, port, host, onError),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function tlsListener(
  tls: TlsMaterial,
  serverOptions: { keepAliveTimeout: number; requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number },
  maxConnections: number,
  handler: RequestListener,
): Listener {
  const https = createHttpsServer({ cert: tls.cert, key: tls.key, ...serverOptions, minVersion: 'TLSv1.2' }, (req, res) => {
    res.setHeader('Strict-Transport-Security', HSTS_HEADER);
    handler(req, res);
  });
  // The HTTPS server never listens itself (the front server hands it connections). Node's
  // http.Server starts its connection tracking (request/headers timeouts, closeIdleConnections)
  // on 'listening', so it is told once here.
  https.emit('listening');
  /** Connections the HTTPS server does not own: not yet decided, or being told to use HTTPS. */
  const notHttps = new Set<Socket>();
  const front: TcpServer = createTcpServer((socket) => {
    notHttps.add(socket);
    const dropQuietly = () => socket.destroy();
    socket.on('error', dropQuietly);
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, dropQuietly);
    socket.once('close', () => notHttps.delete(socket));
    socket.once('readable', function choose() {
      const first: Buffer | null = socket.read(1);
      if (first === null) {
        if (!socket.readableEnded && !socket.destroyed) socket.once('readable', choose);
        return;
      }
      socket.unshift(first);
      if (first[0] === TLS_HANDSHAKE_RECORD) {
        notHttps.delete(socket);
        socket.setTimeout(0);
        socket.off('error', dropQuietly);
        https.emit('connection', socket);
      } else {
        answerPlainHttp(socket);
      }
    });
  });
  // The front server accepts every connection, so it is the one that counts them.
  front.maxConnections = maxConnections;
  return {
    secure: true,
    listen: (port, host, onError) => listenOn(front, port, host, onError),
    close: () =>
      new Promise<void>((resolve) => {
        front.close(() => resolve());
        for (const socket of notHttps) socket.destroy();
        // Closes idle keep-alive connections and stops the timeout checks; the error it
        // reports (the HTTPS server itself never listened) means nothing here.
        https.close(() => undefined);
      }),
  };
}

/**
 * A plain-HTTP request to the HTTPS port. The answer is an AWS-style JSON error so the AWS
 * CLI and SDKs show its message, and the connection closes after it.
 */
function answerPlainHttp(socket: Socket): void {
  const body = JSON.stringify({
    __type: 'HttpsRequiredException',
    message: 'This kmsd serves HTTPS only: use an https:// endpoint URL.',
  });
  socket.end(
    'HTTP/1.1 400 Bad Request\r\n' +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'x-amzn-ErrorType: HttpsRequiredException\r\n' +
      'Connection: close\r\n\r\n' +
      body,
  );
  // Whatever the client still sends is read and discarded, so it sees the answer, not a reset.
  socket.resume();
}

/** Listens; once listening, every later 'error' of the server goes to `onError`. */
export function listenOn(server: TcpServer, port: number, host: string, onError: (err: Error) => void): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}
