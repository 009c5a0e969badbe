/**
 * Console sign-in sessions, kept in memory (a restart signs everyone out, which is the safe
 * direction). A session id is only ever in an HttpOnly cookie; the CSRF token is handed to the
 * page, which keeps it in memory and sends it in a header on every state-changing call.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';

export interface ConsoleCredential {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface ConsoleSession {
  accountId: string;
  accessKeyId: string;
  csrfToken: string;
  createdAt: number;
  lastSeen: number;
}

/** Sessions end after this long without a request, and after ABSOLUTE_MS in any case. */
export const IDLE_MS = 60 * 60 * 1000;
export const ABSOLUTE_MS = 12 * 60 * 60 * 1000;
const MAX_SESSIONS = 10_000;

/** Digests first so that timingSafeEqual sees equal lengths and leaks nothing about length. */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(
    private readonly credentials: ConsoleCredential[],
    private readonly clock: Clock,
  ) {}

  /** Checks an access key id + secret against the configured credentials; undefined when wrong. */
  verify(accessKeyId: string, secretAccessKey: string): ConsoleCredential | undefined {
    const found = this.credentials.find((c) => c.accessKeyId === accessKeyId);
    // Compare against something even for an unknown key id, so both failures cost the same.
    const ok = constantTimeEqual(found?.secretAccessKey ?? randomBytes(16).toString('hex'), secretAccessKey);
    return found && ok ? found : undefined;
  }

  create(credential: ConsoleCredential): { id: string; session: ConsoleSession } {
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next();
      if (!oldest.done) this.sessions.delete(oldest.value);
    }
    const now = this.clock.now().getTime();
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = {
      accountId: credential.accountId,
      accessKeyId: credential.accessKeyId,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: now,
      lastSeen: now,
    };
    this.sessions.set(id, session);
    return { id, session };
  }

  /** The live session for a cookie value, refreshing its idle timer; undefined if none. */
  get(id: string | undefined): ConsoleSession | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const now = this.clock.now().getTime();
    if (this.expired(session, now)) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeen = now;
    return session;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  private expired(session: ConsoleSession, now: number): boolean {
    return now - session.lastSeen > IDLE_MS || now - session.createdAt > ABSOLUTE_MS;
  }

  private sweep(): void {
    const now = this.clock.now().getTime();
    for (const [id, session] of this.sessions) if (this.expired(session, now)) this.sessions.delete(id);
  }
}
