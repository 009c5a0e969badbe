/**
 * GET /health: the process answers HTTP (liveness). GET /ready: it can serve requests now
 * (readiness): the store answers a read, and kmsd is not shutting down. A load balancer
 * sends traffic on 200 and holds it back on 503.
 */
import type { Log } from '../../core/log.js';
import type { Route } from '../../gateway/http.js';

export const healthRoute: Route = async (req, res) => {
  if (!isGet(req.method, req.url, '/health')) return false;
  res.writeHead(200, { 'Content-Type': 'application/json' });
  // The pid tells which process answered when several workers share the port.
  res.end(`{"status":"ok","pid":${process.pid}}`);
  return true;
};

export interface Readiness {
  /** Throws when the store cannot be read. */
  checkStore(): Promise<void>;
  stopping(): boolean;
  log: Log;
}

export function readyRoute(r: Readiness): Route {
  return async (req, res) => {
    if (!isGet(req.method, req.url, '/ready')) return false;
    let status = 'ready';
    if (r.stopping()) status = 'stopping';
    else {
      try {
        await r.checkStore();
      } catch (err) {
        r.log({ level: 'warn', msg: 'not ready: the store failed', err });
        status = 'store unavailable';
      }
    }
    res.writeHead(status === 'ready' ? 200 : 503, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ status }));
    return true;
  };
}

function isGet(method: string | undefined, url: string | undefined, path: string): boolean {
  return method === 'GET' && (url ?? '').split('?')[0] === path;
}
