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
/**
 * Open sessions per account. A new sign-in beyond it ends that account's oldest session, never
 * another account's (issue 14: one tenant must not sign everyone out). Accounts come from the
 * configuration, so all sessions together stay bounded too.
 */
export const MAX_SESSIONS_PER_ACCOUNT = 100;
/** After this many wrong secrets in a row, sign-in with that access key id pauses for PAUSE_MS. */
export const MAX_FAILED_SIGN_INS = 5;
export const PAUSE_MS = 5 * 60 * 1000;
/** Failure records kept per configured access key (one per source address). */
const MAX_SOURCES_PER_KEY = 1_000;
/** Failure records kept for access key ids that do not exist, all together. */
const MAX_UNKNOWN_RECORDS = 10_000;

/** Digests first so that timingSafeEqual sees equal lengths and leaks nothing about length. */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

export type SignInCheck = { ok: true; credential: ConsoleCredential } | { ok: false; pausedUntil?: number };

interface Failures {
  count: number;
  pausedUntil: number;
}

/** A map that forgets its oldest entry when full: what it holds can only be lost, not grown. */
class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly limit: number) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    if (this.map.size >= this.limit) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
}

export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();
  /** Session ids per account, oldest first. */
  private readonly byAccount = new Map<string, Set<string>>();
  /**
   * Consecutive failed sign-ins, counted per access key id AND source address: a caller who
   * knows a key id can pause sign-in for that key only from its own address, not for the key's
   * owner. A configured key's records are its own (a flood of other ids cannot evict them and
   * so cannot reset its pause); unknown ids share one bounded map, so they answer like known
   * ones without growing memory.
   */
  private readonly knownFailures = new Map<string, BoundedMap<Failures>>();
  private readonly unknownFailures = new BoundedMap<Failures>(MAX_UNKNOWN_RECORDS);

  constructor(
    private readonly credentials: (accessKeyId: string) => ConsoleCredential | undefined,
    private readonly clock: Clock,
  ) {}

  /**
   * Checks an access key id + secret against the configured credentials. While an access key
   * id is paused for this source after repeated failures, even the right secret is refused.
   */
  verify(accessKeyId: string, secretAccessKey: string, source: string): SignInCheck {
    const now = this.clock.now().getTime();
    const found = this.credentials(accessKeyId);
    const records = found ? this.failuresOf(accessKeyId) : this.unknownFailures;
    const recordId = found ? source : `${accessKeyId} ${source}`;
    const failed = records.get(recordId);
    if (failed && failed.pausedUntil > now) return { ok: false, pausedUntil: failed.pausedUntil };
    // Compare against something even for an unknown key id, so both failures cost the same.
    const match = constantTimeEqual(found?.secretAccessKey ?? randomBytes(16).toString('hex'), secretAccessKey);
    if (found && match) {
      records.delete(recordId);
      return { ok: true, credential: found };
    }
    const count = (failed?.count ?? 0) + 1;
    const pausedUntil = count >= MAX_FAILED_SIGN_INS ? now + PAUSE_MS : 0;
    records.set(recordId, { count: count >= MAX_FAILED_SIGN_INS ? 0 : count, pausedUntil });
    return { ok: false };
  }

  create(credential: ConsoleCredential): { id: string; session: ConsoleSession } {
    this.sweep();
    const accountId = credential.principal.accountId;
    const own = this.byAccount.get(accountId) ?? new Set<string>();
    this.byAccount.set(accountId, own);
    if (own.size >= MAX_SESSIONS_PER_ACCOUNT) {
      const oldest = own.values().next();
      if (!oldest.done) this.remove(oldest.value);
    }
    const now = this.clock.now().getTime();
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = {
      accountId,
      accessKeyId: credential.accessKeyId,
      principal: credential.principal,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: now,
      lastSeen: now,
    };
    this.sessions.set(id, session);
    own.add(id);
    return { id, session };
  }

  /** The live session for a cookie value, refreshing its idle timer; undefined if none. */
  get(id: string | undefined): ConsoleSession | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const now = this.clock.now().getTime();
    if (this.expired(session, now)) {
      this.remove(id);
      return undefined;
    }
    session.lastSeen = now;
    return session;
  }

  end(id: string): void {
    this.remove(id);
  }

  private failuresOf(accessKeyId: string): BoundedMap<Failures> {
    let records = this.knownFailures.get(accessKeyId);
    if (!records) {
      records = new BoundedMap<Failures>(MAX_SOURCES_PER_KEY);
      this.knownFailures.set(accessKeyId, records);
    }
    return records;
  }

  private remove(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    const own = this.byAccount.get(session.accountId);
    own?.delete(id);
    if (own?.size === 0) this.byAccount.delete(session.accountId);
  }

  private expired(session: ConsoleSession, now: number): boolean {
    return now - session.lastSeen > IDLE_MS || now - session.createdAt > ABSOLUTE_MS;
  }

  private sweep(): void {
    const now = this.clock.now().getTime();
    for (const [id, session] of this.sessions) if (this.expired(session, now)) this.remove(id);
  }
}
