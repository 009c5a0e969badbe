import { randomBytes, scryptSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OffsetClock } from '../../core/clock.js';
import { RootKey } from '../../keystores/root-key.js';
import { HsmDecryptError, HsmUnavailableError } from '../../keystores/cloudhsm-clusters.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import { DEFAULT_LEASE_MS } from '../../store/store.js';
import { clusterTable } from '../rows.js';
import { createHsmModule } from './index.js';
import type { HsmModule } from './index.js';
import { hsmTables } from './tables.js';
import { hashPassword, needsRehash, passwordCost, verifyPassword } from './passwords.js';
import { TEST_SCOPE as scope, clusterRow, setupCluster } from '../../../test/helpers/hsm-cluster.js';

const C1 = 'cluster-abcdefghijk';
const C2 = 'cluster-bcdefghijkl';
const ADMIN = { password: 'admin-pass-1' };

let store: SqliteStore;
let rootKey: RootKey;
let hsm: HsmModule;

beforeEach(async () => {
  store = new SqliteStore(':memory:');
  rootKey = RootKey.random();
  // The lowest cost kmsd allows, for speed; the tests of the cost itself use the default.
  hsm = createHsmModule({ store, clock: new OffsetClock(), rootKey, passwordCost: passwordCost(14) });
  await setupCluster(store, hsm, C1);
});
afterEach(async () => store.close());

async function activeWithKmsuser(clusterId = C1, password = 'kmsPswd1'): Promise<void> {
  await hsm.management.activateCluster(scope, clusterId, ADMIN.password);
  await hsm.management.createUser(scope, clusterId, ADMIN, { username: 'kmsuser', role: 'crypto-user', password });
}

async function kmsLogin(password = 'kmsPswd1', clusterId = C1): Promise<string> {
  const result = await hsm.login(scope, clusterId, 'kmsuser', password);
  if (!result.ok) throw new Error(`login failed: ${result.failure}`);
  return result.sessionId;
}

describe('password hashing', () => {
  it('records scrypt parameters and a per-hash salt, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatchObject({ alg: 'scrypt', N: 131072, r: 8, p: 1 });
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('Correct horse', a)).toBe(false);
  });
});

describe('password upgrade', () => {
  /** A hash as kmsd made them before N was raised to 2^17. */
  async function legacyHash(password: string) {
    const salt = randomBytes(16);
    const hash = scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
    return { alg: 'scrypt' as const, N: 16384, r: 8, p: 1, salt: salt.toString('base64'), hash: hash.toString('base64') };
  }

  it('keeps verifying an N=2^14 hash and replaces it at N=2^17 on the next successful login only', async () => {
    hsm = createHsmModule({ store, clock: new OffsetClock(), rootKey });
    await activeWithKmsuser();
    const users = hsmTables(store).users;
    const id = `${C1}/kmsuser`;
    const before = await users.get(scope, id);
    if (!before) throw new Error('kmsuser missing');
    const legacy = await legacyHash('kmsPswd1');
    expect(needsRehash(legacy)).toBe(true);
    await users.put(scope, id, { ...before, password: legacy });

    expect(await hsm.login(scope, C1, 'kmsuser', 'wrong-pass')).toEqual({ ok: false, failure: 'INVALID_CREDENTIALS' });
    expect((await users.get(scope, id))?.password).toEqual(legacy);

    await hsm.logout(await kmsLogin());
    const upgraded = (await users.get(scope, id))?.password;
    expect(upgraded).toMatchObject({ N: 131072, r: 8, p: 1 });
    expect(upgraded?.salt).not.toBe(legacy.salt);
    expect(upgraded && needsRehash(upgraded)).toBe(false);
    expect((await hsm.login(scope, C1, 'kmsuser', 'kmsPswd1')).ok).toBe(true);
  });

  it('keeps a user locked out whose row recorded the lockout before counts moved out of it', async () => {
    await activeWithKmsuser();
    const users = hsmTables(store).users;
    const row = await users.get(scope, `${C1}/kmsuser`);
    if (!row) throw new Error('kmsuser missing');
    await users.put(scope, `${C1}/kmsuser`, { ...row, failedLogins: 5, lockedOut: true });
    expect(await hsm.login(scope, C1, 'kmsuser', 'kmsPswd1')).toEqual({ ok: false, failure: 'USER_LOCKED_OUT' });
    await users.put(scope, `${C1}/kmsuser`, { ...row, failedLogins: 4, lockedOut: false });
    expect(await hsm.login(scope, C1, 'kmsuser', 'wrong-pass')).toEqual({ ok: false, failure: 'INVALID_CREDENTIALS' });
    expect(await hsm.login(scope, C1, 'kmsuser', 'kmsPswd1')).toEqual({ ok: false, failure: 'USER_LOCKED_OUT' });
  });
});

describe('activation and admin users', () => {
  it('starts with the unactivated admin and refuses admin work until activation', async () => {
    await expect(hsm.management.listUsers(scope, C1, { password: 'password' })).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message: `Cluster ${C1} is not activated yet; activate it first (kmsd hsm cluster activate).`,
    });
    expect(await hsm.management.activateCluster(scope, C1, ADMIN.password)).toEqual({ ClusterId: C1, State: 'ACTIVE' });
    expect((await clusterTable(store).get(scope, C1))?.State).toBe('ACTIVE');
    expect(await hsm.management.listUsers(scope, C1, ADMIN)).toEqual([
      { Username: 'admin', Role: 'admin', LockedOut: false, LoggedIn: false },
    ]);
    await expect(hsm.management.listUsers(scope, C1, { password: 'password' })).rejects.toMatchObject({
      name: 'CloudHsmAccessDeniedException',
      message: "Invalid password for admin 'admin'; 4 more failed login(s) will lock the user out.",
    });
    await expect(hsm.management.activateCluster(scope, C1, 'another-pass')).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message: `Cluster ${C1} is already activated.`,
    });
  });

  it("keeps the API side's sweeper schedule, and activates a cluster restored from a never-activated backup", async () => {
    const nextBackupAt = Date.UTC(2030, 0, 1);
    await clusterTable(store).put(scope, C1, clusterRow(C1, { nextBackupAt }), { due: nextBackupAt });
    await hsm.management.activateCluster(scope, C1, ADMIN.password);
    const due = await clusterTable(store).claimDue(nextBackupAt, 10, DEFAULT_LEASE_MS);
    expect(due.map((d) => [d.id, d.row.State, d.row.nextBackupAt])).toEqual([[C1, 'ACTIVE', nextBackupAt]]);

    await clusterTable(store).put(scope, C2, clusterRow(C2, { State: 'ACTIVE', SourceBackupId: 'backup-abcdefghijk' }));
    await hsm.initialize(scope, C2);
    await hsm.restore(scope, C2, await hsm.snapshot(scope, C2));
    expect(await hsm.management.activateCluster(scope, C2, ADMIN.password)).toEqual({ ClusterId: C2, State: 'ACTIVE' });
    expect(await hsm.management.listUsers(scope, C2, ADMIN)).toHaveLength(1);
  });

  it('refuses to activate a cluster that is not INITIALIZED or has no ACTIVE HSM', async () => {
    await clusterTable(store).put(scope, C2, clusterRow(C2, { State: 'UNINITIALIZED' }));
    await hsm.initialize(scope, C2);
    await expect(hsm.management.activateCluster(scope, C2, ADMIN.password)).rejects.toMatchObject({
      message: `Cluster ${C2} is in state UNINITIALIZED; only an INITIALIZED cluster can be activated.`,
    });
    await clusterTable(store).put(scope, C2, clusterRow(C2, { Hsms: [] }));
    await expect(hsm.management.activateCluster(scope, C2, ADMIN.password)).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message: `Cluster ${C2} has no ACTIVE HSM to connect to.`,
    });
    await expect(hsm.management.activateCluster(scope, 'cluster-zzzzzzzzzzz', ADMIN.password)).rejects.toMatchObject({
      name: 'CloudHsmResourceNotFoundException',
      message: 'Cluster cluster-zzzzzzzzzzz not found.',
    });
  });

  it('creates, lists and deletes users, with usernames case-insensitive', async () => {
    await activeWithKmsuser();
    await expect(
      hsm.management.createUser(scope, C1, ADMIN, { username: 'KMSUSER', role: 'crypto-user', password: 'whatever1' }),
    ).rejects.toMatchObject({ name: 'CloudHsmInvalidRequestException', message: `User 'kmsuser' already exists in cluster ${C1}.` });
    await hsm.management.createUser(scope, C1, ADMIN, { username: 'admin2', role: 'admin', password: 'admin2pass' });
    expect((await hsm.management.listUsers(scope, C1, ADMIN)).map((u) => `${u.Username}:${u.Role}`)).toEqual([
      'admin:admin',
      'kmsuser:crypto-user',
      'admin2:admin',
    ]);
    await expect(hsm.management.deleteUser(scope, C1, ADMIN, { username: 'kmsuser', role: 'admin' })).rejects.toMatchObject({
      name: 'CloudHsmResourceNotFoundException',
      message: `No admin user named 'kmsuser' in cluster ${C1}.`,
    });
    await expect(hsm.management.deleteUser(scope, C1, ADMIN, { username: 'admin', role: 'admin' })).rejects.toMatchObject({
      message: "Admin 'admin' cannot delete itself.",
    });
    await hsm.management.deleteUser(scope, C1, { username: 'admin2', password: 'admin2pass' }, { username: 'admin', role: 'admin' });
    expect((await hsm.management.listUsers(scope, C1, { username: 'admin2', password: 'admin2pass' })).map((u) => u.Username)).toEqual([
      'kmsuser',
      'admin2',
    ]);
  });
});

describe('describeCluster', () => {
  it('maps the stored cluster for KMS, and a second initialize keeps the contents', async () => {
    expect(await hsm.describeCluster(scope, C1)).toEqual({
      clusterId: C1,
      state: 'INITIALIZED',
      hsms: [
        { hsmId: 'hsm-abcdefghijk1', state: 'ACTIVE', availabilityZone: 'us-east-1a', subnetId: 'subnet-01' },
        { hsmId: 'hsm-abcdefghijk2', state: 'ACTIVE', availabilityZone: 'us-east-1b', subnetId: 'subnet-02' },
      ],
      subnetMapping: { 'us-east-1a': 'subnet-01', 'us-east-1b': 'subnet-02' },
      securityGroup: 'sg-abcdefghijk',
      clusterCertificate: `-----BEGIN CERTIFICATE-----\n${C1}\n-----END CERTIFICATE-----\n`,
    });
    expect(await hsm.describeCluster({ account: '444455556666', region: 'us-east-1' }, C1)).toBeUndefined();
    await activeWithKmsuser();
    await hsm.initialize(scope, C1);
    expect((await hsm.management.listUsers(scope, C1, ADMIN)).map((u) => u.Username)).toEqual(['admin', 'kmsuser']);
  });
});

describe('KMS login, lockout and unlock', () => {
  it('reports CLUSTER_NOT_FOUND, INSUFFICIENT_CLOUDHSM_HSMS and USER_NOT_FOUND', async () => {
    await activeWithKmsuser();
    expect(await hsm.login(scope, 'cluster-zzzzzzzzzzz', 'kmsuser', 'kmsPswd1')).toEqual({ ok: false, failure: 'CLUSTER_NOT_FOUND' });
    expect(await hsm.login({ ...scope, region: 'eu-west-1' }, C1, 'kmsuser', 'kmsPswd1')).toEqual({
      ok: false,
      failure: 'CLUSTER_NOT_FOUND',
    });
    expect(await hsm.login(scope, C1, 'nobody', 'kmsPswd1')).toEqual({ ok: false, failure: 'USER_NOT_FOUND' });
    // An admin is not a crypto user: KMS logs in as CKU_USER.
    expect(await hsm.login(scope, C1, 'admin', ADMIN.password)).toEqual({ ok: false, failure: 'USER_NOT_FOUND' });
    const row = clusterRow(C1, { State: 'ACTIVE' });
    await clusterTable(store).put(scope, C1, { ...row, Hsms: row.Hsms.map((h) => ({ ...h, State: 'DEGRADED' as const })) });
    expect(await hsm.login(scope, C1, 'kmsuser', 'kmsPswd1')).toEqual({ ok: false, failure: 'INSUFFICIENT_CLOUDHSM_HSMS' });
  });

  it('locks a user out after 5 consecutive failures; only an admin password change unlocks it', async () => {
    await activeWithKmsuser();
    for (let i = 0; i < 4; i++)
      expect(await hsm.login(scope, C1, 'kmsuser', 'wrong-pass')).toEqual({ ok: false, failure: 'INVALID_CREDENTIALS' });
    // A success resets the count of consecutive failures.
    await hsm.logout(await kmsLogin());
    for (let i = 0; i < 4; i++) await hsm.login(scope, C1, 'kmsuser', 'wrong-pass');
    expect((await hsm.management.listUsers(scope, C1, ADMIN)).find((u) => u.Username === 'kmsuser')?.LockedOut).toBe(false);
    expect(await hsm.login(scope, C1, 'kmsuser', 'wrong-pass')).toEqual({ ok: false, failure: 'INVALID_CREDENTIALS' });
    expect(await hsm.login(scope, C1, 'kmsuser', 'kmsPswd1')).toEqual({ ok: false, failure: 'USER_LOCKED_OUT' });
    expect((await hsm.management.listUsers(scope, C1, ADMIN)).find((u) => u.Username === 'kmsuser')?.LockedOut).toBe(true);
    await expect(hsm.management.listKeys(scope, C1, 'kmsuser', 'kmsPswd1')).rejects.toMatchObject({
      name: 'CloudHsmAccessDeniedException',
      message: "User 'kmsuser' is locked out after 5 failed logins; an admin must change its password to unlock it.",
    });
    const changed = await hsm.management.changePassword(scope, C1, ADMIN, {
      username: 'kmsuser',
      role: 'crypto-user',
      password: 'newPswd22',
    });
    expect(changed).toEqual({ Username: 'kmsuser', Role: 'crypto-user', LockedOut: false, LoggedIn: false });
    expect(await hsm.login(scope, C1, 'kmsuser', 'kmsPswd1')).toEqual({ ok: false, failure: 'INVALID_CREDENTIALS' });
    expect((await hsm.login(scope, C1, 'kmsuser', 'newPswd22')).ok).toBe(true);
  });

  it('counts wrong admin passwords toward the admin lockout', async () => {
    await activeWithKmsuser();
    for (let i = 0; i < 4; i++) await expect(hsm.management.listUsers(scope, C1, { password: 'bad-admin' })).rejects.toThrow();
    await expect(hsm.management.listUsers(scope, C1, { password: 'bad-admin' })).rejects.toMatchObject({
      name: 'CloudHsmAccessDeniedException',
      message: "Invalid password for admin 'admin'; the user is now locked out.",
    });
    await expect(hsm.management.listUsers(scope, C1, ADMIN)).rejects.toMatchObject({
      message: "User 'admin' is locked out after 5 failed logins; an admin must change its password to unlock it.",
    });
  });

  it('gives USER_LOGGED_IN while the user is logged in elsewhere, and KMS rotates the password', async () => {
    await activeWithKmsuser();
    await hsm.management.login(scope, C1, { username: 'kmsuser', role: 'crypto-user', password: 'kmsPswd1' });
    expect(await hsm.login(scope, C1, 'kmsuser', 'kmsPswd1')).toEqual({ ok: false, failure: 'USER_LOGGED_IN' });
    await hsm.management.logout(scope, C1, { username: 'kmsuser', role: 'crypto-user', password: 'kmsPswd1' });
    const session = await kmsLogin();
    await hsm.changePassword(session, 'rotated-by-kms');
    // While KMS holds kmsuser, no one else may log in as it or change its password.
    expect(await hsm.login(scope, C1, 'kmsuser', 'rotated-by-kms')).toEqual({ ok: false, failure: 'USER_LOGGED_IN' });
    await expect(
      hsm.management.changePassword(scope, C1, ADMIN, { username: 'kmsuser', role: 'crypto-user', password: 'other-pass' }),
    ).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message:
        "User 'kmsuser' is logged in elsewhere (by AWS KMS for a connected custom key store); disconnect the key store before you change its password.",
    });
    expect((await hsm.management.listUsers(scope, C1, ADMIN)).find((u) => u.Username === 'kmsuser')?.LoggedIn).toBe(true);
    await hsm.logout(session);
    expect((await hsm.login(scope, C1, 'kmsuser', 'rotated-by-kms')).ok).toBe(true);
  });
});

describe('keys', () => {
  it('generates, finds, uses and deletes a key only its owner can see', async () => {
    await activeWithKmsuser();
    await hsm.management.createUser(scope, C1, ADMIN, { username: 'other', role: 'crypto-user', password: 'otherPass' });
    const session = await kmsLogin();
    const label = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const handle = await hsm.generateAesKey(session, label);
    expect(handle).toBe('0x0000000000000001');
    expect(await hsm.findKeyByLabel(session, label)).toBe(handle);
    expect(await hsm.findKeyByLabel(session, 'no-such-label')).toBeUndefined();

    const aad = Buffer.from('context');
    const sealed = await hsm.encrypt(session, handle, Buffer.from('hello hsm'), aad);
    expect(sealed.length).toBe(12 + 9 + 16);
    expect((await hsm.decrypt(session, handle, sealed, aad)).toString()).toBe('hello hsm');
    const tampered = Buffer.from(sealed);
    tampered[15] ^= 1;
    await expect(hsm.decrypt(session, handle, tampered, aad)).rejects.toBeInstanceOf(HsmDecryptError);
    await expect(hsm.decrypt(session, handle, sealed, Buffer.from('other'))).rejects.toBeInstanceOf(HsmDecryptError);
    await expect(hsm.decrypt(session, handle, Buffer.alloc(5), aad)).rejects.toBeInstanceOf(HsmDecryptError);
    expect((await hsm.random(session, 48)).length).toBe(48);

    const otherLogin = await hsm.login(scope, C1, 'other', 'otherPass');
    if (!otherLogin.ok) throw new Error('other login failed');
    await expect(hsm.encrypt(otherLogin.sessionId, handle, Buffer.from('x'), aad)).rejects.toMatchObject({ reason: 'KEY_NOT_FOUND' });
    await expect(hsm.deleteKey(otherLogin.sessionId, handle)).rejects.toMatchObject({ reason: 'KEY_NOT_FOUND' });
    expect(await hsm.findKeyByLabel(otherLogin.sessionId, label)).toBeUndefined();

    await hsm.logout(otherLogin.sessionId);
    expect(await hsm.management.listKeys(scope, C1, 'other', 'otherPass')).toEqual([]);
    await expect(hsm.management.deleteUser(scope, C1, ADMIN, { username: 'kmsuser', role: 'crypto-user' })).rejects.toMatchObject({
      message: expect.stringMatching(/^User 'kmsuser' is logged in elsewhere/),
    });
    await hsm.logout(session);
    expect(await hsm.management.listKeys(scope, C1, 'kmsuser', 'kmsPswd1')).toEqual([
      { KeyReference: handle, Label: label, KeyType: 'aes', KeySizeBits: 256, Owner: 'kmsuser', Extractable: false, Persistent: true },
    ]);
    await expect(hsm.management.deleteUser(scope, C1, ADMIN, { username: 'kmsuser', role: 'crypto-user' })).rejects.toMatchObject({
      message: "User 'kmsuser' owns 1 key(s); delete them before deleting the user.",
    });
    await expect(hsm.encrypt(session, handle, Buffer.from('x'), aad)).rejects.toMatchObject({ reason: 'SESSION_CLOSED' });
    const again = await kmsLogin();
    await hsm.deleteKey(again, handle);
    await expect(hsm.encrypt(again, handle, Buffer.from('x'), aad)).rejects.toMatchObject({ reason: 'KEY_NOT_FOUND' });
  });

  it('fails key operations with NO_ACTIVE_HSM, then CLUSTER_NOT_FOUND once the cluster is destroyed', async () => {
    await activeWithKmsuser();
    const session = await kmsLogin();
    const handle = await hsm.generateAesKey(session, 'k');
    const row = clusterRow(C1, { State: 'ACTIVE', Hsms: [] });
    await clusterTable(store).put(scope, C1, row);
    const noHsm = hsm.encrypt(session, handle, Buffer.from('x'), Buffer.alloc(0));
    await expect(noHsm).rejects.toBeInstanceOf(HsmUnavailableError);
    await expect(noHsm).rejects.toMatchObject({ reason: 'NO_ACTIVE_HSM', message: `Cluster ${C1} has no ACTIVE HSM.` });
    await hsm.destroy(scope, C1);
    await clusterTable(store).delete(scope, C1);
    await expect(hsm.random(session, 8)).rejects.toMatchObject({ reason: 'SESSION_CLOSED' });
    expect(await hsm.describeCluster(scope, C1)).toBeUndefined();
    expect(await hsmTables(store).keys.count(scope, `${C1}/`)).toBe(0);
    expect(await hsmTables(store).users.count(scope, `${C1}/`)).toBe(0);
  });
});

describe('backups', () => {
  it('restores users and keys into another cluster that decrypts old ciphertext', async () => {
    await activeWithKmsuser();
    const session = await kmsLogin();
    const handle = await hsm.generateAesKey(session, 'label-1');
    const sealed = await hsm.encrypt(session, handle, Buffer.from('kept across backups'), Buffer.from('aad'));
    await hsm.changePassword(session, 'at-backup-time');
    const snapshot = await hsm.snapshot(scope, C1);
    await hsm.changePassword(session, 'after-backup');
    await hsm.logout(session);

    await clusterTable(store).put(scope, C2, clusterRow(C2, { State: 'ACTIVE', SourceBackupId: 'backup-abcdefghijk' }));
    await hsm.restore(scope, C2, snapshot);
    // The restored cluster has kmsuser with the password current at backup time.
    expect(await hsm.login(scope, C2, 'kmsuser', 'after-backup')).toEqual({ ok: false, failure: 'INVALID_CREDENTIALS' });
    const restored = await kmsLogin('at-backup-time', C2);
    expect(await hsm.findKeyByLabel(restored, 'label-1')).toBe(handle);
    expect((await hsm.decrypt(restored, handle, sealed, Buffer.from('aad'))).toString()).toBe('kept across backups');
    // Handles keep counting from where the backup left off.
    expect(await hsm.generateAesKey(restored, 'label-2')).toBe('0x0000000000000002');
    expect(await hsm.management.listUsers(scope, C2, ADMIN)).toHaveLength(2);

    // The snapshot is useless to anyone without this server's root key.
    const other = createHsmModule({ store, clock: new OffsetClock(), rootKey: RootKey.random() });
    await expect(other.restore(scope, 'cluster-cdefghijklm', snapshot)).rejects.toThrow();
    await expect(hsm.restore(scope, C2, '{"v":2}')).rejects.toThrow('unsupported HSM snapshot format');
  });

  it('keeps failed-login counts and lockout across restores of a backup taken before the guesses', async () => {
    await activeWithKmsuser();
    const snapshot = await hsm.snapshot(scope, C1);
    for (let i = 0; i < 4; i++) await hsm.login(scope, C1, 'kmsuser', 'guess-' + i);
    await clusterTable(store).put(scope, C2, clusterRow(C2, { State: 'ACTIVE', SourceBackupId: 'backup-abcdefghijk' }));
    await hsm.restore(scope, C2, snapshot);
    expect(await hsm.login(scope, C2, 'kmsuser', 'guess-4')).toEqual({ ok: false, failure: 'INVALID_CREDENTIALS' });
    // Locked everywhere the password was copied, whatever is restored next.
    await hsm.restore(scope, C2, snapshot);
    for (const c of [C1, C2]) expect(await hsm.login(scope, c, 'kmsuser', 'kmsPswd1')).toEqual({ ok: false, failure: 'USER_LOCKED_OUT' });
    // An admin's password change unlocks that cluster's user only.
    await hsm.management.changePassword(scope, C2, ADMIN, { username: 'kmsuser', role: 'crypto-user', password: 'newPswd22' });
    expect((await hsm.login(scope, C2, 'kmsuser', 'newPswd22')).ok).toBe(true);
    expect(await hsm.login(scope, C1, 'kmsuser', 'kmsPswd1')).toEqual({ ok: false, failure: 'USER_LOCKED_OUT' });
  });

  it('stores no password, cluster secret or key material in plaintext', async () => {
    const passwords = [ADMIN.password, 'kmsPswd1', 'rotated-secret'];
    await activeWithKmsuser();
    const session = await kmsLogin();
    await hsm.changePassword(session, 'rotated-secret');
    const handle = await hsm.generateAesKey(session, 'label');
    const snapshot = await hsm.snapshot(scope, C1);

    const t = hsmTables(store);
    const secretRow = await t.secrets.get(scope, C1);
    const keyRow = await t.keys.get(scope, `${C1}/${handle}`);
    if (!secretRow || !keyRow) throw new Error('rows missing');
    const clusterSecret = rootKey.unwrap(secretRow.secret, `kmsd:cloudhsm:cluster-secret:${C1}`);
    const material = RootKey.fromBase64(clusterSecret.toString('base64')).unwrap(keyRow.material, `kmsd:cloudhsm:hsm-key:${handle}`);
    expect(material.length).toBe(32);

    const everything = JSON.stringify([(await t.users.all()).map((r) => r.row), await t.keys.all(), await t.secrets.all(), snapshot]);
    for (const p of passwords) expect(everything).not.toContain(p);
    for (const secret of [clusterSecret, material]) {
      expect(everything).not.toContain(secret.toString('base64'));
      expect(everything).not.toContain(secret.toString('hex'));
      expect(everything).not.toContain(secret.toString('base64url'));
    }
  });
});
