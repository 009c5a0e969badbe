/**
 * The emulated HSMs' contents: users (admin, crypto-user) with hashed passwords, sessions and
 * lockout; AES-256 keys owned by crypto users; snapshots for backups. Implements both seams:
 * HsmContents (for the CloudHSM V2 API side) and CloudHsmClusters (for KMS custom key
 * stores), plus the admin operations behind `kmsd hsm` (management.ts).
 */
import { randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Scope } from '../../store/store.js';
import type { HsmContents } from '../hsm-contents.js';
import type { CloudHsmClusters, ClusterView, LoginResult } from '../../keystores/cloudhsm-clusters.js';
import { HsmDecryptError, HsmUnavailableError } from '../../keystores/cloudhsm-clusters.js';
import { HsmCore } from './core.js';
import { gcmOpen, gcmSeal } from '../../core/aes-gcm.js';
import type { HsmModuleDeps } from './core.js';
import { createContents } from './contents.js';
import { createManagement } from './management.js';
import type { HsmManagement } from './management.js';
import type { HsmSession } from './sessions.js';
import { OpenedKeys } from './opened-keys.js';
import type { ClusterRow } from '../rows.js';
import type { HsmKeyRow, HsmSecretRow } from './tables.js';
import { clusterRows, keyId, userId } from './tables.js';
import { hashPassword, passwordProblem } from './passwords.js';
import { withPassword } from './login-failures.js';

export type { HsmModuleDeps } from './core.js';
export type { HsmManagement } from './management.js';

export type HsmModule = HsmContents & CloudHsmClusters & { management: HsmManagement };

/** Largest GenerateRandom request KMS allows; the HSM refuses more in one call. */
const MAX_RANDOM_BYTES = 1024;

export function createHsmModule(deps: HsmModuleDeps): HsmModule {
  const core = new HsmCore(deps);
  const { tables, sessions } = core;
  const openedKeys = new OpenedKeys(deps.store, () => deps.clock.now().getTime(), sessions);

  function openSession(sessionId: string): HsmSession {
    const session = sessions.get(sessionId);
    if (!session) throw new HsmUnavailableError('SESSION_CLOSED', 'The HSM session is closed.');
    return session;
  }

  /** The session, its cluster still reachable: what every key operation needs first. */
  async function live(sessionId: string): Promise<{ session: HsmSession; cluster: ClusterRow; contents: HsmSecretRow }> {
    const session = openSession(sessionId);
    const access = await core.access(session.scope, session.clusterId);
    if (!access.ok) {
      if (access.problem === 'NO_ACTIVE_HSM') {
        throw new HsmUnavailableError('NO_ACTIVE_HSM', `Cluster ${session.clusterId} has no ACTIVE HSM.`);
      }
      // The cluster (or its contents) is gone: so is every session on it.
      sessions.closeCluster(session.scope, session.clusterId);
      throw new HsmUnavailableError('CLUSTER_NOT_FOUND', `Cluster ${session.clusterId} no longer exists.`);
    }
    return { session, cluster: access.cluster, contents: access.contents };
  }

  /** A key the session's user owns; others' keys are invisible to a crypto user. */
  async function ownKey(session: HsmSession, handle: string): Promise<HsmKeyRow> {
    const key = await tables.keys.get(session.scope, keyId(session.clusterId, handle));
    if (!key || key.owner !== session.username) {
      throw new HsmUnavailableError('KEY_NOT_FOUND', `Key ${handle} not found in cluster ${session.clusterId}.`);
    }
    return key;
  }

  /** A key the session's user owns, opened (live() and ownKey() passed), kept opened per session (opened-keys.ts). */
  function openKey(sessionId: string, handle: string): Promise<KeyObject> {
    return openedKeys.get(openSession(sessionId), handle, async () => {
      const { session, cluster, contents } = await live(sessionId);
      const key = await ownKey(session, handle);
      return { material: core.openKeyMaterial(contents, key.handle, key.material), cluster };
    });
  }

  /** A fresh AES-256 key, sealed under the cluster secret; the plaintext bytes are zeroed. */
  function sealNewKey(contents: HsmSecretRow, handle: string): string {
    const material = randomBytes(32);
    try {
      return core.sealKeyMaterial(contents, handle, material);
    } finally {
      material.fill(0);
    }
  }

  const clusters: CloudHsmClusters = {
    async describeCluster(scope: Scope, clusterId: string): Promise<ClusterView | undefined> {
      const cluster = await core.cluster(scope, clusterId);
      if (!cluster) return undefined;
      return {
        clusterId: cluster.ClusterId,
        state: cluster.State,
        hsms: cluster.Hsms.map((h) => ({ hsmId: h.HsmId, state: h.State, availabilityZone: h.AvailabilityZone, subnetId: h.SubnetId })),
        subnetMapping: { ...cluster.SubnetMapping },
        securityGroup: cluster.SecurityGroup || undefined,
        clusterCertificate: cluster.Certificates.ClusterCertificate,
        pkcs11Token: (await tables.secrets.get(scope, clusterId))?.pkcs11Token,
      };
    },

    /**
     * KMS logs in as a crypto user. Order of checks: the cluster and an ACTIVE HSM, then the
     * user, its lockout, its password (a wrong one counts toward lockout), and only then
     * whether someone else holds its session, so an unauthenticated caller learns nothing.
     */
    async login(scope, clusterId, username, password): Promise<LoginResult> {
      const access = await core.access(scope, clusterId);
      if (!access.ok) {
        return { ok: false, failure: access.problem === 'CLUSTER_NOT_FOUND' ? 'CLUSTER_NOT_FOUND' : 'INSUFFICIENT_CLOUDHSM_HSMS' };
      }
      const auth = await core.authenticate(scope, clusterId, username, password, 'crypto-user');
      if (!auth.ok) return { ok: false, failure: auth.failure };
      if (sessions.ofUser(scope, clusterId, auth.user.username)) return { ok: false, failure: 'USER_LOGGED_IN' };
      const session = sessions.open({ scope, clusterId, username: auth.user.username, role: 'crypto-user', holder: 'kms' });
      return { ok: true, sessionId: session.id };
    },

    async changePassword(sessionId, newPassword) {
      const problem = passwordProblem(newPassword);
      if (problem) throw new RangeError(problem);
      const { session } = await live(sessionId);
      const password = await hashPassword(newPassword, deps.passwordCost);
      await deps.store.transaction(async () => {
        const id = userId(session.clusterId, session.username);
        const user = await tables.users.get(session.scope, id);
        if (!user) throw new HsmUnavailableError('SESSION_CLOSED', `User ${session.username} no longer exists.`);
        await tables.users.put(session.scope, id, withPassword(user, password));
      });
    },

    async logout(sessionId) {
      sessions.close(sessionId);
    },

    async checkSession(sessionId) {
      await live(sessionId);
    },

    async generateAesKey(sessionId, label) {
      const { session } = await live(sessionId);
      return deps.store.transaction(async () => {
        // Re-read inside the transaction: the handle counter is a read-modify-write.
        const contents = await tables.secrets.get(session.scope, session.clusterId);
        if (!contents) throw new HsmUnavailableError('CLUSTER_NOT_FOUND', `Cluster ${session.clusterId} no longer exists.`);
        const handle = `0x${contents.nextHandle.toString(16).padStart(16, '0')}`;
        await tables.secrets.put(session.scope, session.clusterId, { ...contents, nextHandle: contents.nextHandle + 1 });
        await tables.keys.put(session.scope, keyId(session.clusterId, handle), {
          clusterId: session.clusterId,
          handle,
          label,
          owner: session.username,
          keyType: 'aes',
          keySizeBits: 256,
          material: sealNewKey(contents, handle),
          createdAt: deps.clock.now().getTime(),
        });
        return handle;
      });
    },

    async findKeyByLabel(sessionId, label) {
      const { session } = await live(sessionId);
      const keys = await clusterRows(tables.keys, session.scope, session.clusterId);
      // CloudHSM allows duplicate labels; the oldest key with the label wins.
      return keys.find((k) => k.owner === session.username && k.label === label)?.handle;
    },

    async encrypt(sessionId, keyHandle, plaintext, aad) {
      const key = await openKey(sessionId, keyHandle);
      // The layout the CloudHsmClusters seam documents: iv(12) ‖ ciphertext ‖ tag(16).
      return gcmSeal(key, plaintext, aad, 'iv-ciphertext-tag');
    },

    async decrypt(sessionId, keyHandle, sealed, aad) {
      const key = await openKey(sessionId, keyHandle);
      const plaintext = gcmOpen(key, sealed, aad, 'iv-ciphertext-tag');
      if (!plaintext) throw new HsmDecryptError();
      return plaintext;
    },

    async deleteKey(sessionId, keyHandle) {
      const { session } = await live(sessionId);
      await deps.store.transaction(async () => {
        const key = await ownKey(session, keyHandle);
        await tables.keys.delete(session.scope, keyId(session.clusterId, key.handle));
      });
    },

    async random(sessionId, length) {
      if (!Number.isInteger(length) || length < 1 || length > MAX_RANDOM_BYTES) {
        throw new RangeError(`random length must be 1 to ${MAX_RANDOM_BYTES} bytes`);
      }
      await live(sessionId);
      return randomBytes(length);
    },
  };

  return { ...createContents(core), ...clusters, management: createManagement(core) };
}
