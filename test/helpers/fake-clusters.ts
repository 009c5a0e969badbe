/**
 * An in-test CloudHSM (the `CloudHsmClusters` seam KMS uses), for testing the custom key
 * store state machine and key backend without kmsd's emulated CloudHSM: clusters with HSMs
 * in AZs, a cluster certificate signed by a real test CA, users with passwords, lockout
 * after 5 failures, single-login sessions, and AES-256-GCM keys labelled by the caller.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ClusterView, CloudHsmClusters, LoginResult } from '../../src/keystores/cloudhsm-clusters.js';
import { HsmDecryptError, HsmUnavailableError } from '../../src/keystores/cloudhsm-clusters.js';
import type { Scope } from '../../src/store/store.js';
import { gcmOpen, gcmSeal } from '../../src/core/aes-gcm.js';

export interface TrustChain {
  trustAnchorPem: string;
  clusterCertificatePem: string;
}

const execFileP = promisify(execFile);

/** A self-signed CA (customerCA.crt) and a cluster certificate it issued, made with openssl. */
export async function makeTrustChain(name: string): Promise<TrustChain> {
  const dir = mkdtempSync(join(tmpdir(), 'kmsd-ca-'));
  try {
    const run = (args: string[]) => execFileP('openssl', args, { cwd: dir });
    const newKey = '-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes'.split(' ');
    await run(['req', '-x509', ...newKey, ...'-keyout ca.key -out ca.crt -days 3650 -subj'.split(' '), `/CN=${name} customer CA`]);
    await run(['req', ...newKey, ...'-keyout cluster.key -out cluster.csr -subj'.split(' '), `/CN=${name} cluster`]);
    await run('x509 -req -in cluster.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cluster.crt -days 3650'.split(' '));
    return {
      trustAnchorPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      clusterCertificatePem: readFileSync(join(dir, 'cluster.crt'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface FakeUser {
  password: string;
  failures: number;
  loggedIn: boolean;
}

interface FakeKey {
  label: string;
  owner: string;
  material: Buffer;
}

export interface FakeCluster {
  view: ClusterView;
  users: Map<string, FakeUser>;
  keys: Map<string, FakeKey>;
}

export class FakeClusters implements CloudHsmClusters {
  readonly clusters = new Map<string, FakeCluster>();
  private readonly sessions = new Map<string, { clusterId: string; user: string }>();
  /** Every password kmsuser ever had, to check kmsd rotated it. */
  readonly passwordHistory: string[] = [];
  private nextHandle = 1000;

  addCluster(
    clusterId: string,
    chain: TrustChain,
    options: { zones?: string[]; state?: string; kmsuserPassword?: string | null } = {},
  ): FakeCluster {
    const zones = options.zones ?? ['us-east-1a', 'us-east-1b'];
    const cluster: FakeCluster = {
      view: {
        clusterId,
        state: options.state ?? 'ACTIVE',
        hsms: zones.map((az, i) => ({
          hsmId: `hsm-${clusterId.slice(8)}${i}`,
          state: 'ACTIVE',
          availabilityZone: az,
          subnetId: `subnet-${i}`,
        })),
        subnetMapping: { 'us-east-1a': 'subnet-0', 'us-east-1b': 'subnet-1' },
        clusterCertificate: chain.clusterCertificatePem,
      },
      users: new Map(),
      keys: new Map(),
    };
    if (options.kmsuserPassword !== null) {
      cluster.users.set('kmsuser', { password: options.kmsuserPassword ?? 'kmsPswd1', failures: 0, loggedIn: false });
    }
    this.clusters.set(clusterId, cluster);
    return cluster;
  }

  /** A cluster created from a backup of `sourceId`: same certificate, users (passwords) and keys. */
  restoreFrom(sourceId: string, clusterId: string): FakeCluster {
    const source = this.cluster(sourceId);
    const cluster: FakeCluster = {
      view: { ...structuredClone(source.view), clusterId },
      users: new Map([...source.users].map(([n, u]) => [n, { ...u, loggedIn: false }])),
      keys: new Map([...source.keys].map(([h, k]) => [h, { ...k }])),
    };
    this.clusters.set(clusterId, cluster);
    return cluster;
  }

  cluster(clusterId: string): FakeCluster {
    const c = this.clusters.get(clusterId);
    if (!c) throw new Error(`no fake cluster ${clusterId}`);
    return c;
  }

  user(clusterId: string, name = 'kmsuser'): FakeUser {
    const u = this.cluster(clusterId).users.get(name);
    if (!u) throw new Error(`no user ${name}`);
    return u;
  }

  async describeCluster(_scope: Scope, clusterId: string): Promise<ClusterView | undefined> {
    const c = this.clusters.get(clusterId);
    return c ? structuredClone(c.view) : undefined;
  }

  async login(_scope: Scope, clusterId: string, username: string, password: string): Promise<LoginResult> {
    const c = this.clusters.get(clusterId);
    if (!c) return { ok: false, failure: 'CLUSTER_NOT_FOUND' };
    if (!c.view.hsms.some((h) => h.state === 'ACTIVE')) return { ok: false, failure: 'INSUFFICIENT_CLOUDHSM_HSMS' };
    const user = c.users.get(username);
    if (!user) return { ok: false, failure: 'USER_NOT_FOUND' };
    if (user.failures >= 5) return { ok: false, failure: 'USER_LOCKED_OUT' };
    if (user.loggedIn) return { ok: false, failure: 'USER_LOGGED_IN' };
    if (user.password !== password) {
      user.failures++;
      return { ok: false, failure: 'INVALID_CREDENTIALS' };
    }
    user.failures = 0;
    user.loggedIn = true;
    const sessionId = randomUUID();
    this.sessions.set(sessionId, { clusterId, user: username });
    return { ok: true, sessionId };
  }

  async changePassword(sessionId: string, newPassword: string): Promise<void> {
    const s = this.session(sessionId);
    this.user(s.clusterId, s.user).password = newPassword;
    this.passwordHistory.push(newPassword);
  }

  async logout(sessionId: string): Promise<void> {
    const s = this.sessions.get(sessionId);
    if (!s) return;
    this.sessions.delete(sessionId);
    const u = this.clusters.get(s.clusterId)?.users.get(s.user);
    if (u) u.loggedIn = false;
  }

  async checkSession(sessionId: string): Promise<void> {
    this.session(sessionId);
  }

  async generateAesKey(sessionId: string, label: string): Promise<string> {
    const s = this.session(sessionId);
    const handle = String(this.nextHandle++);
    this.cluster(s.clusterId).keys.set(handle, { label, owner: s.user, material: randomBytes(32) });
    return handle;
  }

  async findKeyByLabel(sessionId: string, label: string): Promise<string | undefined> {
    const s = this.session(sessionId);
    for (const [handle, k] of this.cluster(s.clusterId).keys) if (k.label === label && k.owner === s.user) return handle;
    return undefined;
  }

  async encrypt(sessionId: string, keyHandle: string, plaintext: Buffer, aad: Buffer): Promise<Buffer> {
    return gcmSeal(this.key(sessionId, keyHandle).material, plaintext, aad, 'iv-ciphertext-tag');
  }

  async decrypt(sessionId: string, keyHandle: string, sealed: Buffer, aad: Buffer): Promise<Buffer> {
    const plaintext = gcmOpen(this.key(sessionId, keyHandle).material, sealed, aad, 'iv-ciphertext-tag');
    if (!plaintext) throw new HsmDecryptError();
    return plaintext;
  }

  async deleteKey(sessionId: string, keyHandle: string): Promise<void> {
    this.key(sessionId, keyHandle);
    this.cluster(this.session(sessionId).clusterId).keys.delete(keyHandle);
  }

  async random(sessionId: string, length: number): Promise<Buffer> {
    this.session(sessionId);
    return randomBytes(length);
  }

  private session(sessionId: string): { clusterId: string; user: string } {
    const s = this.sessions.get(sessionId);
    if (!s) throw new HsmUnavailableError('SESSION_CLOSED', 'session closed');
    const c = this.clusters.get(s.clusterId);
    if (!c) throw new HsmUnavailableError('CLUSTER_NOT_FOUND', 'cluster not found');
    if (!c.view.hsms.some((h) => h.state === 'ACTIVE')) throw new HsmUnavailableError('NO_ACTIVE_HSM', 'no active HSM');
    return s;
  }

  private key(sessionId: string, keyHandle: string): FakeKey {
    const s = this.session(sessionId);
    const key = this.cluster(s.clusterId).keys.get(keyHandle);
    if (!key || key.owner !== s.user) throw new HsmUnavailableError('KEY_NOT_FOUND', 'key not found');
    return key;
  }
}
