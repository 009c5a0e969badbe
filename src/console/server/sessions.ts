/**
 * Console sign-in sessions, kept in memory (a restart signs everyone out, which is the safe
 * direction). A session id is only ever in an HttpOnly cookie; the CSRF token is handed to the
 * page, which keeps it in memory and sends it in a header on every state-changing call.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Principal } from '../../auth/principal.js';

/** A long-term access key that may sign in: an account's root key or an IAM user's key. */
export interface ConsoleCredential {
  accessKeyId: string;
  secretAccessKey: string;
  principal: Principal;
}

export interface ConsoleSession {
  accountId: string;
  accessKeyId: string;
  /** Who acts through this session; its policies decide what the console may do. */
  principal: Principal;
  csrfToken: string;
  createdAt: number;
  lastSeen: number;
}

/** Sessions end after this long without a request, and after ABSOLUTE_MS in any case. */
export const IDLE_MS = 60 * 60 * 1000;
export const ABSOLUTE_MS = 12 * 60 * 60 * 1000;
const MAX_SESSIONS = 10_000;
/** After this many wrong secrets in a row, sign-in with that access key id pauses for PAUSE_MS. */
export const MAX_FAILED_SIGN_INS = 5;
export const PAUSE_MS = 5 * 60 * 1000;

/** Digests first so that timingSafeEqual sees equal lengths and leaks nothing about length. */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

export type SignInCheck = { ok: true; credential: ConsoleCredential } | { ok: false; pausedUntil?: number };

export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();
  /** Consecutive failed sign-ins per access key id (known or not), to slow down guessing. */
  private readonly failures = new Map<string, { count: number; pausedUntil: number }>();

  constructor(
    private readonly credentials: (accessKeyId: string) => ConsoleCredential | undefined,
    private readonly clock: Clock,
  ) {}

  /**
   * Checks an access key id + secret against the configured credentials. While an access key
   * id is paused after repeated failures, even the right secret is refused.
   */
  verify(accessKeyId: string, secretAccessKey: string): SignInCheck {
    const now = this.clock.now().getTime();
    const failed = this.failures.get(accessKeyId);
    if (failed && failed.pausedUntil > now) return { ok: false, pausedUntil: failed.pausedUntil };
    const found = this.credentials(accessKeyId);
    // Compare against something even for an unknown key id, so both failures cost the same.
    const match = constantTimeEqual(found?.secretAccessKey ?? randomBytes(16).toString('hex'), secretAccessKey);
    if (found && match) {
      this.failures.delete(accessKeyId);
      return { ok: true, credential: found };
    }
    const count = (failed?.count ?? 0) + 1;
    if (!failed && this.failures.size >= MAX_SESSIONS) {
      const oldest = this.failures.keys().next();
      if (!oldest.done) this.failures.delete(oldest.value);
    }
    const pausedUntil = count >= MAX_FAILED_SIGN_INS ? now + PAUSE_MS : 0;
    this.failures.set(accessKeyId, { count: count >= MAX_FAILED_SIGN_INS ? 0 : count, pausedUntil });
    return { ok: false };
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
      accountId: credential.principal.accountId,
      accessKeyId: credential.accessKeyId,
      principal: credential.principal,
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
