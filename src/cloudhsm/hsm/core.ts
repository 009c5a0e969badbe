/**
 * What every part of the emulated HSM shares: the cluster as the API side stores it, the
 * cluster secret that protects key material, and user authentication with CloudHSM's
 * lockout rule (5 consecutive failed logins lock a user until an admin changes its password;
 * counted per password hash, see login-failures.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { RootKey } from '../../keystores/root-key.js';
import { RootKey as Wrapper } from '../../keystores/root-key.js';
import type { Scope, Store } from '../../store/store.js';
import type { ClusterRow } from '../rows.js';
import { clusterTable } from '../rows.js';
import { nextDue, settleCluster } from '../clusters.js';
import { canonicalUsername, hashPassword, needsRehash, verifyPassword } from './passwords.js';
import type { PasswordCost } from './passwords.js';
import { LoginFailures, MAX_FAILED_LOGINS, withPassword } from './login-failures.js';
import { Sessions } from './sessions.js';
import type { HsmRole, HsmSecretRow, HsmTables, HsmUserRow } from './tables.js';
import { hsmTables, userId } from './tables.js';

export interface HsmModuleDeps {
  store: Store;
  clock: Clock;
  rootKey: RootKey;
  /** scrypt cost of new password hashes; passwords.COST unless the operator lowered it. */
  passwordCost?: PasswordCost;
}

export type AuthFailure = 'USER_NOT_FOUND' | 'USER_LOCKED_OUT' | 'INVALID_CREDENTIALS';
export type AuthResult = { ok: true; user: HsmUserRow } | { ok: false; failure: AuthFailure; attemptsLeft?: number };

/** Why a cluster cannot serve HSM requests right now. */
export type ClusterProblem = 'CLUSTER_NOT_FOUND' | 'NO_ACTIVE_HSM' | 'NO_CONTENTS';

export type ClusterAccess = { ok: true; cluster: ClusterRow; contents: HsmSecretRow } | { ok: false; problem: ClusterProblem };

const secretAad = (clusterId: string): string => `kmsd:cloudhsm:cluster-secret:${clusterId}`;
const keyAad = (handle: string): string => `kmsd:cloudhsm:hsm-key:${handle}`;

export class HsmCore {
  readonly tables: HsmTables;
  readonly sessions = new Sessions();
  readonly failures: LoginFailures;

  constructor(readonly deps: HsmModuleDeps) {
    this.tables = hsmTables(deps.store);
    this.failures = new LoginFailures(deps.store);
  }

  /** The cluster as it is now (ended transitions applied, as the API side reads it). */
  async cluster(scope: Scope, clusterId: string): Promise<ClusterRow | undefined> {
    const row = await clusterTable(this.deps.store).get(scope, clusterId);
    const settled = row && settleCluster(row, this.deps.clock.now().getTime());
    return settled && settled.State !== 'DELETED' ? settled : undefined;
  }

  /** Stores a cluster row keeping the API side's sweeper schedule (transitions, backups). */
  async saveCluster(scope: Scope, row: ClusterRow): Promise<void> {
    await clusterTable(this.deps.store).put(scope, row.ClusterId, row, { due: nextDue(row) });
  }

  /** The cluster exists, has an ACTIVE HSM to talk to, and its HSM contents exist. */
  async access(scope: Scope, clusterId: string): Promise<ClusterAccess> {
    const cluster = await this.cluster(scope, clusterId);
    if (!cluster) return { ok: false, problem: 'CLUSTER_NOT_FOUND' };
    if (!cluster.Hsms.some((h) => h.State === 'ACTIVE')) return { ok: false, problem: 'NO_ACTIVE_HSM' };
    const contents = await this.tables.secrets.get(scope, clusterId);
    if (!contents) return { ok: false, problem: 'NO_CONTENTS' };
    return { ok: true, cluster, contents };
  }

  newClusterSecret(clusterId: string): string {
    const secret = randomBytes(32);
    const wrapped = this.deps.rootKey.wrap(secret, secretAad(clusterId));
    secret.fill(0);
    return wrapped;
  }

  unwrapClusterSecret(contents: HsmSecretRow): Buffer {
    return this.deps.rootKey.unwrap(contents.secret, secretAad(contents.clusterId));
  }

  rewrapClusterSecret(secret: Buffer, clusterId: string): string {
    return this.deps.rootKey.wrap(secret, secretAad(clusterId));
  }

  /** Protects a key's material under the cluster secret. */
  sealKeyMaterial(contents: HsmSecretRow, handle: string, material: Buffer): string {
    return this.withClusterKey(contents, (k) => k.wrap(material, keyAad(handle)));
  }

  openKeyMaterial(contents: HsmSecretRow, handle: string, sealed: string): Buffer {
    return this.withClusterKey(contents, (k) => k.unwrap(sealed, keyAad(handle)));
  }

  /** The cluster secret is unwrapped for one use and zeroed right after. */
  private withClusterKey<T>(contents: HsmSecretRow, use: (key: Wrapper) => T): T {
    const key = Wrapper.fromBytes(this.unwrapClusterSecret(contents));
    try {
      return use(key);
    } finally {
      key.dispose();
    }
  }

  /**
   * Checks a user's password and applies lockout. The attempt is counted before the password
   * is checked, in its own committed transaction, so parallel guesses are all counted and a
   * failed attempt stays counted even when the caller then rejects the request. The slow
   * scrypt check itself runs outside any transaction: it must not hold the store's write lock.
   * A success resets the count and re-hashes a password stored at weaker scrypt parameters.
   * A user of another role counts as not found: logins name the role (CloudHSM CLI --role,
   * PKCS#11 CKU_USER for crypto users).
   */
  async authenticate(scope: Scope, clusterId: string, username: string, password: string, role: HsmRole): Promise<AuthResult> {
    const name = canonicalUsername(username);
    const id = name && userId(clusterId, name);
    const user = id ? await this.tables.users.get(scope, id) : undefined;
    if (!id || !user || user.role !== role) return { ok: false, failure: 'USER_NOT_FOUND' };
    const attempt = await this.deps.store.transaction(async () => {
      const failed = await this.failures.count(user);
      if (failed >= MAX_FAILED_LOGINS) return undefined;
      await this.failures.set(user, failed + 1);
      return failed + 1;
    });
    if (attempt === undefined) return { ok: false, failure: 'USER_LOCKED_OUT' };
    if (!(await verifyPassword(password, user.password))) {
      return { ok: false, failure: 'INVALID_CREDENTIALS', attemptsLeft: MAX_FAILED_LOGINS - attempt };
    }
    const cost = this.deps.passwordCost;
    const upgraded = needsRehash(user.password, cost) ? await hashPassword(password, cost) : undefined;
    const current = await this.deps.store.transaction(async () => {
      await this.failures.set(user, 0);
      const row = await this.tables.users.get(scope, id);
      // The password was changed (or the user deleted) while it was being checked.
      if (row?.password.salt !== user.password.salt) return undefined;
      if (upgraded || row.failedLogins !== undefined || row.lockedOut !== undefined) {
        await this.tables.users.put(scope, id, withPassword(row, upgraded ?? row.password));
      }
      return row;
    });
    if (!current) return { ok: false, failure: 'INVALID_CREDENTIALS', attemptsLeft: MAX_FAILED_LOGINS };
    return { ok: true, user: current };
  }

  async lockedOut(user: HsmUserRow): Promise<boolean> {
    return this.failures.lockedOut(user);
  }
}
