/**
 * Failed-login counts, kept per password hash instead of in the user row.
 *
 * A backup copies each user's password hash, and a cluster created from it gets those users.
 * If the count lived in the user row, restoring a backup taken before the guesses would reset
 * it, and passwords could be guessed without limit by restoring again and again (issue 14).
 * Keyed by the hash's random salt, every copy of one password (in any cluster, Region or
 * account a backup reached) shares one count and one lockout. A new password (an admin's
 * change, KMS's rotation of kmsuser) has a new salt and so a fresh count, as CloudHSM resets
 * the count when the password changes.
 */
import type { Scope, Store, Table } from '../../store/store.js';
import type { HsmUserRow } from './tables.js';

/** CloudHSM locks a user after 5 consecutive failed logins until an admin changes its password. */
export const MAX_FAILED_LOGINS = 5;

interface FailureRow {
  failedLogins: number;
}

/** One count per password wherever it was copied: not scoped to an account or Region. */
const EVERYWHERE: Scope = { account: '*', region: '*' };

export class LoginFailures {
  private readonly table: Table<FailureRow>;

  constructor(store: Store) {
    this.table = store.table<FailureRow>('cloudhsm_hsm_login_failures');
  }

  /** Failed logins counted against the user's current password. */
  async count(user: HsmUserRow): Promise<number> {
    const row = await this.table.get(EVERYWHERE, user.password.salt);
    return Math.max(row?.failedLogins ?? 0, legacyFailures(user));
  }

  async lockedOut(user: HsmUserRow): Promise<boolean> {
    return (await this.count(user)) >= MAX_FAILED_LOGINS;
  }

  /** Call inside a transaction. */
  async set(user: HsmUserRow, failedLogins: number): Promise<void> {
    if (failedLogins === 0) await this.table.delete(EVERYWHERE, user.password.salt);
    else await this.table.put(EVERYWHERE, user.password.salt, { failedLogins });
  }
}

/**
 * Rows written before the count moved here carried it themselves (so may a restored older
 * backup); honoured as a floor so an upgrade never unlocks a locked-out user.
 */
function legacyFailures(user: HsmUserRow): number {
  if (user.lockedOut) return MAX_FAILED_LOGINS;
  return user.failedLogins ?? 0;
}

/** The user with a new password: the count (kept by salt) starts again at zero. */
export function withPassword(user: HsmUserRow, password: HsmUserRow['password']): HsmUserRow {
  return { clusterId: user.clusterId, username: user.username, role: user.role, password };
}
