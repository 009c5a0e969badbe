/**
 * Console sign-in sessions and sign-in throttling, kept in the store so that every kmsd worker
 * or node sharing it agrees: a session made through one is valid on all, sign-out and expiry
 * end it everywhere, and failed sign-ins count across all of them. A session id is only ever in
 * an HttpOnly cookie, and the store keeps only its SHA-256 (a copy of the database signs no one
 * in); the CSRF token is handed to the page, which keeps it in memory and sends it in a header
 * on every state-changing call.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Principal } from '../../auth/principal.js';
import type { Scope, Store, Table } from '../../store/store.js';

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

/** What the store keeps of a session: the principal comes from the configuration on each use. */
interface SessionRow {
  accountId: string;
  accessKeyId: string;
  csrfToken: string;
  createdAt: number;
  lastSeen: number;
}

/** Sessions end after this long without a request, and after ABSOLUTE_MS in any case. */
export const IDLE_MS = 60 * 60 * 1000;
export const ABSOLUTE_MS = 12 * 60 * 60 * 1000;
/**
 * A session's last use is written at most this often, not on every console request, so a
 * session may end up to this much before IDLE_MS of real idleness.
 */
export const LAST_SEEN_STEP_MS = 60 * 1000;
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

const FAILURE_COUNT = 'count';
/** The console is not Regional: its rows use this in place of a Region. */
const CONSOLE_REGION = 'console';
/** Sessions by digest of their id: a cookie does not say which account it belongs to. */
const ALL_SESSIONS: Scope = { account: '-', region: CONSOLE_REGION };
/** Failure records for access key ids that do not exist (no account has them). */
const UNKNOWN_KEYS: Scope = { account: '-', region: CONSOLE_REGION };

/** Digests first so that timingSafeEqual sees equal lengths and leaks nothing about length. */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

export type SignInCheck = { ok: true; credential: ConsoleCredential } | { ok: false; pausedUntil?: number };

interface Failures {
  /** The row's own id (evictOldest needs it). */
  id: string;
  count: number;
  pausedUntil: number;
}

export class ConsoleSessions {
  private readonly sessions: Table<SessionRow>;
  /** Each account's session digests, oldest first: what the per-account limit counts and ends. */
  private readonly accountSessions: Table<{ id: string }>;
  /**
   * Consecutive failed sign-ins, counted per access key id AND source address: a caller who
   * knows a key id can pause sign-in for that key only from its own address, not for the key's
   * owner. A configured key's records have a scope of their own (a flood of other ids cannot
   * evict them and so cannot reset its pause); unknown ids share one bounded scope, so they
   * answer like known ones without growing the store.
   */
  private readonly failures: Table<Failures>;
  /** How many failure records each scope holds (one row per scope, id FAILURE_COUNT). */
  private readonly failureCounts: Table<{ n: number }>;

  constructor(
    private readonly store: Store,
    private readonly credentials: (accessKeyId: string) => ConsoleCredential | undefined,
    private readonly clock: Clock,
  ) {
    this.sessions = store.table<SessionRow>('console_sessions');
    this.accountSessions = store.table<{ id: string }>('console_account_sessions');
    this.failures = store.table<Failures>('console_sign_in_failures');
    this.failureCounts = store.table<{ n: number }>('console_sign_in_failure_counts');
  }

  /**
   * Checks an access key id + secret against the configured credentials. While an access key
   * id is paused for this source after repeated failures, even the right secret is refused.
   * One transaction reads and counts, so guesses sent at once through several workers all count.
   */
  verify(accessKeyId: string, secretAccessKey: string, source: string): Promise<SignInCheck> {
    const found = this.credentials(accessKeyId);
    const scope: Scope = found ? { account: accessKeyId, region: CONSOLE_REGION } : UNKNOWN_KEYS;
    const recordId = found ? source : `${accessKeyId} ${source}`;
    return this.store.transaction(async (): Promise<SignInCheck> => {
      const now = this.clock.now().getTime();
      const failed = await this.failures.get(scope, recordId);
      if (failed && failed.pausedUntil > now) return { ok: false, pausedUntil: failed.pausedUntil };
      // Compare against something even for an unknown key id, so both failures cost the same.
      const match = constantTimeEqual(found?.secretAccessKey ?? randomBytes(16).toString('hex'), secretAccessKey);
      if (found && match) {
        if (failed) await this.forgetFailure(scope, recordId);
        return { ok: true, credential: found };
      }
      const count = (failed?.count ?? 0) + 1;
      const pausedUntil = count >= MAX_FAILED_SIGN_INS ? now + PAUSE_MS : 0;
      // Written anew, so that the scope's oldest record is the one that failed longest ago.
      if (failed) await this.failures.delete(scope, recordId);
      else await this.makeRoomForFailure(scope, found ? MAX_SOURCES_PER_KEY : MAX_UNKNOWN_RECORDS);
      await this.failures.insert(scope, recordId, { id: recordId, count: count >= MAX_FAILED_SIGN_INS ? 0 : count, pausedUntil });
      return { ok: false };
    });
  }

  /** A new session: its id (for the cookie only) and what it holds. */
  create(credential: ConsoleCredential): Promise<{ id: string; session: ConsoleSession }> {
    const accountId = credential.principal.accountId;
    const own = accountScope(accountId);
    const id = randomBytes(32).toString('base64url');
    return this.store.transaction(async () => {
      const now = this.clock.now().getTime();
      await this.sweep(accountId, now);
      for (const oldest of await evictOldest(this.accountSessions, own, MAX_SESSIONS_PER_ACCOUNT)) {
        await this.sessions.delete(ALL_SESSIONS, oldest);
      }
      const row: SessionRow = {
        accountId,
        accessKeyId: credential.accessKeyId,
        csrfToken: randomBytes(32).toString('base64url'),
        createdAt: now,
        lastSeen: now,
      };
      await this.sessions.insert(ALL_SESSIONS, digest(id), row);
      await this.accountSessions.insert(own, digest(id), { id: digest(id) });
      return { id, session: { ...row, principal: credential.principal } };
    });
  }

  /** The live session for a cookie value, refreshing its idle timer; undefined if none. */
  async get(id: string | undefined): Promise<ConsoleSession | undefined> {
    if (!id) return undefined;
    const key = digest(id);
    const found = await this.sessions.getVersioned(ALL_SESSIONS, key);
    if (!found) return undefined;
    const row = found.row;
    const now = this.clock.now().getTime();
    // The key may have left the configuration since: its sessions end with it.
    const credential = this.credentials(row.accessKeyId);
    if (this.expired(row, now) || !credential || credential.principal.accountId !== row.accountId) {
      await this.remove(key, row.accountId);
      return undefined;
    }
    if (now - row.lastSeen >= LAST_SEEN_STEP_MS) {
      // A refresh or sign-out through another worker meanwhile wins; this refresh is then moot.
      await this.sessions.update(ALL_SESSIONS, key, { ...row, lastSeen: now }, found.version).catch(() => undefined);
    }
    return { ...row, lastSeen: now, principal: credential.principal };
  }

  async end(id: string): Promise<void> {
    const key = digest(id);
    const row = await this.sessions.get(ALL_SESSIONS, key);
    if (row) await this.remove(key, row.accountId);
  }

  /**
   * Keeps at most `limit` failure records in `scope`, forgetting the one that failed longest ago.
   * The count lives in a row of its own: counting up to 10,000 rows on each sign-in is too slow.
   */
  private async makeRoomForFailure(scope: Scope, limit: number): Promise<void> {
    const held = (await this.failureCounts.get(scope, FAILURE_COUNT)) ?? { n: 0 };
    let n = held.n;
    if (n >= limit) {
      const { items } = await this.failures.list(scope, { limit: n - limit + 1 });
      for (const { id } of items) await this.failures.delete(scope, id);
      n -= items.length;
    }
    await this.failureCounts.put(scope, FAILURE_COUNT, { n: n + 1 });
  }

  private async forgetFailure(scope: Scope, recordId: string): Promise<void> {
    if (!(await this.failures.delete(scope, recordId))) return;
    const held = await this.failureCounts.get(scope, FAILURE_COUNT);
    if (held) await this.failureCounts.put(scope, FAILURE_COUNT, { n: Math.max(0, held.n - 1) });
  }

  private remove(key: string, accountId: string): Promise<void> {
    return this.store.transaction(async () => {
      await this.sessions.delete(ALL_SESSIONS, key);
      await this.accountSessions.delete(accountScope(accountId), key);
    });
  }

  private expired(session: SessionRow, now: number): boolean {
    return now - session.lastSeen > IDLE_MS || now - session.createdAt > ABSOLUTE_MS;
  }

  /** Ends the account's expired sessions (at most MAX_SESSIONS_PER_ACCOUNT are there to look at). */
  private async sweep(accountId: string, now: number): Promise<void> {
    const { items } = await this.accountSessions.list(accountScope(accountId), { limit: MAX_SESSIONS_PER_ACCOUNT });
    for (const { id: key } of items) {
      const row = await this.sessions.get(ALL_SESSIONS, key);
      if (!row || this.expired(row, now)) await this.remove(key, accountId);
    }
  }
}

function accountScope(accountId: string): Scope {
  return { account: accountId, region: CONSOLE_REGION };
}

/** What the store keeps instead of a session id. */
function digest(sessionId: string): string {
  return createHash('sha256').update(sessionId, 'utf8').digest('base64url');
}

/**
 * Makes room for one more row in `scope` of a table that keeps at most `limit` there: deletes
 * the oldest rows beyond it and returns their ids. For small limits (it counts the rows).
 */
async function evictOldest(table: Table<{ id: string }>, scope: Scope, limit: number): Promise<string[]> {
  const excess = (await table.count(scope)) - limit + 1;
  if (excess <= 0) return [];
  const { items } = await table.list(scope, { limit: excess });
  for (const { id } of items) await table.delete(scope, id);
  return items.map((r) => r.id);
}
