/**
 * POST /_kmsd/test/clock {"advanceSeconds": n}: moves the service clock forward, then runs
 * the background work now due (deletion windows, rotations, backups). Only with --test-hooks.
 */
import type { OffsetClock } from '../../core/clock.js';
import type { Route } from '../../gateway/http.js';

export function testClockRoute(clock: OffsetClock, afterMove: () => Promise<void>): Route {
  return async (req, res, body) => {
    if (req.method !== 'POST' || req.url !== '/_kmsd/test/clock') return false;
    let advanceSeconds: unknown;
    try {
      ({ advanceSeconds } = JSON.parse(body.toString('utf8') || '{}') as { advanceSeconds?: unknown });
    } catch {
      advanceSeconds = undefined;
    }
    if (typeof advanceSeconds !== 'number' || !(advanceSeconds >= 0)) {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end('{"message":"advanceSeconds must be a non-negative number"}');
      return true;
    }
    clock.advance(advanceSeconds * 1000);
    await afterMove();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ now: clock.now().toISOString() }));
    return true;
  };
}
