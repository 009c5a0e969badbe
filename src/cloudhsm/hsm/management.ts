/**
 * The operator's side of the emulated HSMs, mirroring the CloudHSM CLI: activate a cluster,
 * manage users as an admin, list a crypto user's keys, and log a user in or out. Each call
 * authenticates again (the `kmsd hsm` CLI is stateless), and a wrong password counts toward
 * that user's lockout exactly as a login would.
 */
import {
  CloudHsmAccessDeniedException,
  CloudHsmInvalidRequestException,
  CloudHsmResourceLimitExceededException,
  CloudHsmResourceNotFoundException,
} from '../../generated/cloudhsmv2.js';
import type { Scope } from '../../store/store.js';
import type { ClusterRow } from '../rows.js';
import type { AuthResult, ClusterAccess, HsmCore } from './core.js';
import { MAX_FAILED_LOGINS, withPassword } from './login-failures.js';
import { canonicalUsername, hashPassword, passwordProblem } from './passwords.js';
import type { HsmRole, HsmSecretRow, HsmUserRow } from './tables.js';
import { clusterRows, userId } from './tables.js';
import { UNACTIVATED_ADMIN } from './contents.js';

export interface AdminCredentials {
  /** Defaults to `admin`. */
  username?: string;
  password: string;
}

export interface UserSpec {
  username: string;
  role: HsmRole;
}

export interface HsmUserView {
  Username: string;
  Role: HsmRole;
  LockedOut: boolean;
  LoggedIn: boolean;
}

export interface HsmKeyView {
  KeyReference: string;
  Label: string;
  KeyType: 'aes';
  KeySizeBits: number;
  Owner: string;
  Extractable: false;
  Persistent: true;
}

export interface HsmManagement {
  /** INITIALIZED -> ACTIVE: the unactivated admin's password becomes `newAdminPassword`. */
  activateCluster(scope: Scope, clusterId: string, newAdminPassword: string): Promise<{ ClusterId: string; State: 'ACTIVE' }>;
  createUser(scope: Scope, clusterId: string, admin: AdminCredentials, user: UserSpec & { password: string }): Promise<HsmUserView>;
  /** Also unlocks a locked-out user (CloudHSM's only way to unlock). */
  changePassword(scope: Scope, clusterId: string, admin: AdminCredentials, user: UserSpec & { password: string }): Promise<HsmUserView>;
  deleteUser(scope: Scope, clusterId: string, admin: AdminCredentials, user: UserSpec): Promise<HsmUserView>;
  listUsers(scope: Scope, clusterId: string, admin: AdminCredentials): Promise<HsmUserView[]>;
  /** The keys a crypto user owns, authenticated as that user. */
  listKeys(scope: Scope, clusterId: string, username: string, password: string): Promise<HsmKeyView[]>;
  /** Opens a session that stays until logout, as a CloudHSM CLI login does. */
  login(scope: Scope, clusterId: string, user: UserSpec & { password: string }): Promise<HsmUserView>;
  logout(scope: Scope, clusterId: string, user: UserSpec & { password: string }): Promise<HsmUserView>;
}

const MAX_USERS_PER_CLUSTER = 1024;

function accessError(clusterId: string, access: Exclude<ClusterAccess, { ok: true }>): Error {
  switch (access.problem) {
    case 'CLUSTER_NOT_FOUND':
      return new CloudHsmResourceNotFoundException(`Cluster ${clusterId} not found.`);
    case 'NO_ACTIVE_HSM':
      return new CloudHsmInvalidRequestException(`Cluster ${clusterId} has no ACTIVE HSM to connect to.`);
    case 'NO_CONTENTS':
      return new CloudHsmInvalidRequestException(`Cluster ${clusterId} has no initialized HSM.`);
  }
}

function authError(clusterId: string, username: string, role: HsmRole, auth: Exclude<AuthResult, { ok: true }>): Error {
  switch (auth.failure) {
    case 'USER_NOT_FOUND':
      return new CloudHsmResourceNotFoundException(`No ${role} user named '${username}' in cluster ${clusterId}.`);
    case 'USER_LOCKED_OUT':
      return new CloudHsmAccessDeniedException(
        `User '${username}' is locked out after ${MAX_FAILED_LOGINS} failed logins; an admin must change its password to unlock it.`,
      );
    case 'INVALID_CREDENTIALS':
      return new CloudHsmAccessDeniedException(
        auth.attemptsLeft && auth.attemptsLeft > 0
          ? `Invalid password for ${role} '${username}'; ${auth.attemptsLeft} more failed login(s) will lock the user out.`
          : `Invalid password for ${role} '${username}'; the user is now locked out.`,
      );
  }
}

function checkedUsername(username: string): string {
  const name = canonicalUsername(username);
  if (!name) {
    throw new CloudHsmInvalidRequestException(`Invalid username '${username}': use 1 to 31 letters, digits or underscores.`);
  }
  return name;
}

function checkedPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new CloudHsmInvalidRequestException(problem);
}

export function createManagement(core: HsmCore): HsmManagement {
  const { tables, sessions, deps } = core;

  const view = async (scope: Scope, u: HsmUserRow): Promise<HsmUserView> => ({
    Username: u.username,
    Role: u.role,
    LockedOut: await core.lockedOut(u),
    LoggedIn: sessions.ofUser(scope, u.clusterId, u.username) !== undefined,
  });

  async function reachable(scope: Scope, clusterId: string): Promise<HsmSecretRow> {
    const access = await core.access(scope, clusterId);
    if (!access.ok) throw accessError(clusterId, access);
    return access.contents;
  }

  /** Authenticates as `role`; failures become CloudHSM errors (the failed attempt is kept). */
  async function authenticated(scope: Scope, clusterId: string, username: string, password: string, role: HsmRole): Promise<HsmUserRow> {
    const auth = await core.authenticate(scope, clusterId, username, password, role);
    if (!auth.ok) throw authError(clusterId, username, role, auth);
    return auth.user;
  }

  /** Admin operations need an activated cluster and the admin's password, every time. */
  async function asAdmin(scope: Scope, clusterId: string, admin: AdminCredentials): Promise<HsmUserRow> {
    const contents = await reachable(scope, clusterId);
    if (!contents.activated) {
      throw new CloudHsmInvalidRequestException(
        `Cluster ${clusterId} is not activated yet; activate it first (kmsd hsm cluster activate).`,
      );
    }
    return authenticated(scope, clusterId, admin.username ?? UNACTIVATED_ADMIN.username, admin.password, 'admin');
  }

  /** A crypto user that AWS KMS holds logged in cannot be used or changed by anyone else. */
  function notHeldByKms(scope: Scope, clusterId: string, username: string, doing: string): void {
    if (sessions.ofUser(scope, clusterId, username)?.holder === 'kms') {
      throw new CloudHsmInvalidRequestException(
        `User '${username}' is logged in elsewhere (by AWS KMS for a connected custom key store); disconnect the key store before you ${doing}.`,
      );
    }
  }

  async function target(scope: Scope, clusterId: string, spec: UserSpec): Promise<HsmUserRow> {
    const name = checkedUsername(spec.username);
    const user = await tables.users.get(scope, userId(clusterId, name));
    if (!user || user.role !== spec.role) {
      throw new CloudHsmResourceNotFoundException(`No ${spec.role} user named '${name}' in cluster ${clusterId}.`);
    }
    return user;
  }

  return {
    async activateCluster(scope, clusterId, newAdminPassword) {
      checkedPassword(newAdminPassword);
      await reachable(scope, clusterId);
      const activation = async (): Promise<{ cluster: ClusterRow; contents: HsmSecretRow }> => {
        const cluster = await core.cluster(scope, clusterId);
        const contents = await tables.secrets.get(scope, clusterId);
        if (!cluster || !contents) throw new CloudHsmResourceNotFoundException(`Cluster ${clusterId} not found.`);
        if (contents.activated) throw new CloudHsmInvalidRequestException(`Cluster ${clusterId} is already activated.`);
        // ACTIVE without activated contents: restored from a backup of a never-activated cluster.
        if (cluster.State !== 'INITIALIZED' && cluster.State !== 'ACTIVE') {
          throw new CloudHsmInvalidRequestException(
            `Cluster ${clusterId} is in state ${cluster.State}; only an INITIALIZED cluster can be activated.`,
          );
        }
        return { cluster, contents };
      };
      await activation();
      const password = await hashPassword(newAdminPassword, deps.passwordCost);
      await deps.store.transaction(async () => {
        // Checked again inside the transaction: two activations must not both succeed.
        const { cluster, contents } = await activation();
        const admin = await tables.users.get(scope, userId(clusterId, UNACTIVATED_ADMIN.username));
        if (!admin) throw new CloudHsmInvalidRequestException(`Cluster ${clusterId} has no unactivated admin.`);
        await tables.users.put(scope, userId(clusterId, admin.username), withPassword(admin, password));
        await tables.secrets.put(scope, clusterId, { ...contents, activated: true });
        await core.saveCluster(scope, { ...cluster, State: 'ACTIVE', StateMessage: undefined });
      });
      return { ClusterId: clusterId, State: 'ACTIVE' };
    },

    async createUser(scope, clusterId, admin, spec) {
      const name = checkedUsername(spec.username);
      checkedPassword(spec.password);
      await asAdmin(scope, clusterId, admin);
      const password = await hashPassword(spec.password, deps.passwordCost);
      return deps.store.transaction(async () => {
        if (await tables.users.get(scope, userId(clusterId, name))) {
          throw new CloudHsmInvalidRequestException(`User '${name}' already exists in cluster ${clusterId}.`);
        }
        if ((await tables.users.count(scope, `${clusterId}/`)) >= MAX_USERS_PER_CLUSTER) {
          throw new CloudHsmResourceLimitExceededException(`Cluster ${clusterId} already has ${MAX_USERS_PER_CLUSTER} users.`);
        }
        const row: HsmUserRow = { clusterId, username: name, role: spec.role, password };
        await tables.users.put(scope, userId(clusterId, name), row);
        return view(scope, row);
      });
    },

    async changePassword(scope, clusterId, admin, spec) {
      checkedUsername(spec.username);
      checkedPassword(spec.password);
      await asAdmin(scope, clusterId, admin);
      const password = await hashPassword(spec.password, deps.passwordCost);
      return deps.store.transaction(async () => {
        const user = await target(scope, clusterId, spec);
        notHeldByKms(scope, clusterId, user.username, 'change its password');
        const row = withPassword(user, password);
        await tables.users.put(scope, userId(clusterId, user.username), row);
        return view(scope, row);
      });
    },

    async deleteUser(scope, clusterId, admin, spec) {
      checkedUsername(spec.username);
      const caller = await asAdmin(scope, clusterId, admin);
      const deleted = await deps.store.transaction(async () => {
        const user = await target(scope, clusterId, spec);
        if (user.username === caller.username) {
          throw new CloudHsmInvalidRequestException(`Admin '${user.username}' cannot delete itself.`);
        }
        notHeldByKms(scope, clusterId, user.username, 'delete it');
        // Deleting the owner would strand its keys (KMS keys of a custom key store included).
        const owned = (await clusterRows(tables.keys, scope, clusterId)).filter((k) => k.owner === user.username).length;
        if (owned > 0) {
          throw new CloudHsmInvalidRequestException(`User '${user.username}' owns ${owned} key(s); delete them before deleting the user.`);
        }
        const shown = await view(scope, user);
        await tables.users.delete(scope, userId(clusterId, user.username));
        return { ...shown, LoggedIn: false };
      });
      // After the commit: the transaction may run twice (store.ts), a closed session cannot reopen.
      const open = sessions.ofUser(scope, clusterId, deleted.Username);
      if (open) sessions.close(open.id);
      return deleted;
    },

    async listUsers(scope, clusterId, admin) {
      await asAdmin(scope, clusterId, admin);
      return Promise.all((await clusterRows(tables.users, scope, clusterId)).map((u) => view(scope, u)));
    },

    async listKeys(scope, clusterId, username, password) {
      await reachable(scope, clusterId);
      const user = await authenticated(scope, clusterId, username, password, 'crypto-user');
      notHeldByKms(scope, clusterId, user.username, 'log in as it');
      return (await clusterRows(tables.keys, scope, clusterId))
        .filter((k) => k.owner === user.username)
        .map((k) => ({
          KeyReference: k.handle,
          Label: k.label,
          KeyType: k.keyType,
          KeySizeBits: k.keySizeBits,
          Owner: k.owner,
          Extractable: false,
          Persistent: true,
        }));
    },

    async login(scope, clusterId, spec) {
      await reachable(scope, clusterId);
      const user = await authenticated(scope, clusterId, spec.username, spec.password, spec.role);
      notHeldByKms(scope, clusterId, user.username, 'log in as it');
      if (sessions.ofUser(scope, clusterId, user.username)) {
        throw new CloudHsmInvalidRequestException(`User '${user.username}' is already logged in; log it out first.`);
      }
      sessions.open({ scope, clusterId, username: user.username, role: user.role, holder: 'cli' });
      return view(scope, user);
    },

    async logout(scope, clusterId, spec) {
      await reachable(scope, clusterId);
      const user = await authenticated(scope, clusterId, spec.username, spec.password, spec.role);
      notHeldByKms(scope, clusterId, user.username, 'log it out');
      const open = sessions.ofUser(scope, clusterId, user.username);
      if (!open) throw new CloudHsmInvalidRequestException(`User '${user.username}' is not logged in.`);
      sessions.close(open.id);
      return view(scope, user);
    },
  };
}
