/**
 * Test hooks (--test-hooks): POST /_kmsd/test/clock moves the service clock, so tests can
 * cross deletion windows, rotations and lockouts. Moving the clock ends waiting periods early
 * (a key scheduled for deletion is deleted at once), so the route is guarded (issue 14): kmsd
 * refuses to start with hooks on a non-loopback address, the route answers only loopback
 * peers, and every call must carry the per-run token kmsd prints at start.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { OffsetClock } from '../core/clock.js';
import type { Route } from '../gateway/http.js';
import { isLoopbackHost } from './loopback.js';

export const TEST_TOKEN_HEADER = 'x-kmsd-test-token';

export function newTestHooksToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Throws when hooks would be reachable from other machines. */
export function checkTestHooksHost(host: string): void {
  if (!isLoopbackHost(host)) {
    throw new Error(`--test-hooks needs a loopback --host (127.0.0.1, ::1 or localhost), not ${host}`);
  }
}

function tokenMatches(given: string | string[] | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function answer(res: Parameters<Route>[1], status: number, body: unknown): true {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
  return true;
}

export function testClockRoute(clock: OffsetClock, token: string, afterMove: () => Promise<void>): Route {
  return async (req, res, body) => {
    if (req.method !== 'POST' || req.url !== '/_kmsd/test/clock') return false;
    if (!isLoopbackHost(req.socket.remoteAddress ?? '') || !tokenMatches(req.headers[TEST_TOKEN_HEADER], token)) {
      return answer(res, 403, { message: 'Test hooks need the token kmsd printed at start, from this machine.' });
    }
    let advanceSeconds: unknown;
    try {
      ({ advanceSeconds } = JSON.parse(body.toString('utf8') || '{}') as { advanceSeconds?: unknown });
    } catch {
      advanceSeconds = undefined;
    }
    if (typeof advanceSeconds !== 'number' || !(advanceSeconds >= 0)) {
      return answer(res, 400, { message: 'advanceSeconds must be a non-negative number' });
    }
    clock.advance(advanceSeconds * 1000);
    await afterMove();
    return answer(res, 200, { now: clock.now().toISOString() });
  };
}
