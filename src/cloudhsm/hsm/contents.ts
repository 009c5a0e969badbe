/**
 * HsmContents: where the CloudHSM V2 API side creates, backs up, restores and drops a
 * cluster's users and keys. A backup carries users with the password hashes they have at
 * backup time (so kmsuser's password is the one current then, as in AWS), the keys with
 * their handles and labels, and the cluster secret re-wrapped by the root key for the
 * snapshot — never plaintext — so a cluster restored from it can use the old keys. Failed-login
 * counts are kept per password hash (login-failures.ts), so a restore brings back the count and
 * lockout of each copied password rather than resetting them.
 */
import type { Scope } from '../../store/store.js';
import type { HsmContents } from '../hsm-contents.js';
import type { HsmCore } from './core.js';
import { hashPassword } from './passwords.js';
import type { HsmKeyRow, HsmSecretRow, HsmUserRow } from './tables.js';
import { clusterRows, keyId, userId } from './tables.js';
import { PKCS11_TOKEN_TAG } from '../../keystores/cloudhsm-clusters.js';

const SNAPSHOT_VERSION = 1;
const SNAPSHOT_SECRET_AAD = 'kmsd:cloudhsm:snapshot-cluster-secret';

/** The unactivated admin of a never-activated cluster (CloudHSM CLI: admin / password). */
export const UNACTIVATED_ADMIN = { username: 'admin', password: 'password' } as const;

interface Snapshot {
  v: typeof SNAPSHOT_VERSION;
  /** The cluster secret, wrapped by the root key under SNAPSHOT_SECRET_AAD. */
  secret: string;
  nextHandle: number;
  activated: boolean;
  users: Omit<HsmUserRow, 'clusterId'>[];
  /** Key material stays encrypted under the cluster secret. */
  keys: Omit<HsmKeyRow, 'clusterId'>[];
  /** The token that holds the cluster's KMS keys: a backup cannot carry them, so the restore keeps using it. */
  pkcs11Token?: string;
}

function parseSnapshot(text: string): Snapshot {
  let parsed: Partial<Snapshot>;
  try {
    parsed = JSON.parse(text) as Partial<Snapshot>;
  } catch {
    throw new Error('HSM snapshot is not valid JSON');
  }
  const { v, secret, nextHandle, activated, users, keys, pkcs11Token } = parsed;
  if (
    v !== SNAPSHOT_VERSION ||
    typeof secret !== 'string' ||
    typeof nextHandle !== 'number' ||
    typeof activated !== 'boolean' ||
    !Array.isArray(users) ||
    !Array.isArray(keys) ||
    (pkcs11Token !== undefined && typeof pkcs11Token !== 'string')
  ) {
    throw new Error('unsupported HSM snapshot format');
  }
  return { v, secret, nextHandle, activated, users, keys, pkcs11Token };
}

export function createContents(core: HsmCore): HsmContents {
  const { tables, sessions, deps } = core;

  async function drop(scope: Scope, clusterId: string): Promise<void> {
    for (const u of await clusterRows(tables.users, scope, clusterId)) await tables.users.delete(scope, userId(clusterId, u.username));
    for (const k of await clusterRows(tables.keys, scope, clusterId)) await tables.keys.delete(scope, keyId(clusterId, k.handle));
    await tables.secrets.delete(scope, clusterId);
  }

  return {
    async initialize(scope, clusterId) {
      const password = await hashPassword(UNACTIVATED_ADMIN.password, deps.passwordCost);
      await deps.store.transaction(async () => {
        // A second call (e.g. a retried first HSM) must not wipe existing users or keys.
        if (await tables.secrets.get(scope, clusterId)) return;
        // The backing is read once, here: changing the tag later must not move the keys.
        const tag = (await core.cluster(scope, clusterId))?.TagList.find((t) => t.Key === PKCS11_TOKEN_TAG);
        const contents: HsmSecretRow = { clusterId, secret: core.newClusterSecret(clusterId), nextHandle: 1, activated: false };
        if (tag) contents.pkcs11Token = tag.Value;
        await tables.secrets.put(scope, clusterId, contents);
        await tables.users.put(scope, userId(clusterId, UNACTIVATED_ADMIN.username), {
          clusterId,
          username: UNACTIVATED_ADMIN.username,
          role: 'admin',
          password,
        });
      });
    },

    async snapshot(scope, clusterId) {
      const contents = await tables.secrets.get(scope, clusterId);
      if (!contents) throw new Error(`cluster ${clusterId} has no HSM contents to back up`);
      const strip = <T extends { clusterId: string }>({ clusterId: _c, ...rest }: T): Omit<T, 'clusterId'> => rest;
      const clusterSecret = core.unwrapClusterSecret(contents);
      const secret = deps.rootKey.wrap(clusterSecret, SNAPSHOT_SECRET_AAD);
      clusterSecret.fill(0);
      const snapshot: Snapshot = {
        v: SNAPSHOT_VERSION,
        secret,
        nextHandle: contents.nextHandle,
        activated: contents.activated,
        users: (await clusterRows(tables.users, scope, clusterId)).map(strip),
        keys: (await clusterRows(tables.keys, scope, clusterId)).map(strip),
        pkcs11Token: contents.pkcs11Token,
      };
      return JSON.stringify(snapshot);
    },

    async restore(scope, clusterId, text) {
      const snapshot = parseSnapshot(text);
      const unwrapped = deps.rootKey.unwrap(snapshot.secret, SNAPSHOT_SECRET_AAD);
      const secret = core.rewrapClusterSecret(unwrapped, clusterId);
      unwrapped.fill(0);
      await deps.store.transaction(async () => {
        sessions.closeCluster(scope, clusterId);
        await drop(scope, clusterId);
        await tables.secrets.put(scope, clusterId, {
          clusterId,
          secret,
          nextHandle: snapshot.nextHandle,
          activated: snapshot.activated,
          pkcs11Token: snapshot.pkcs11Token,
        });
        for (const u of snapshot.users) await tables.users.put(scope, userId(clusterId, u.username), { ...u, clusterId });
        for (const k of snapshot.keys) await tables.keys.put(scope, keyId(clusterId, k.handle), { ...k, clusterId });
      });
    },

    async destroy(scope, clusterId) {
      sessions.closeCluster(scope, clusterId);
      await deps.store.transaction(() => drop(scope, clusterId));
    },
  };
}
