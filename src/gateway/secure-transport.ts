/** Whether a request arrived over TLS (kmsd serve --tls-cert/--tls-key, src/server/listener.ts). */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export function isSecureRequest(req: IncomingMessage): boolean {
  return (req.socket as Partial<TLSSocket>).encrypted === true;
}
