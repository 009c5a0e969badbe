/**
 * `kmsd hsm` end to end: the built CLI (node bin/kmsd.js hsm ...) signs requests to a real
 * kmsd's HSM management endpoint. Clusters are set up by writing the CloudHSM API side's
 * ClusterRow directly (INITIALIZED, two ACTIVE HSMs), so the CLI and endpoint are tested in
 * isolation; hsm-flow.test.ts goes through the real CloudHSM V2 API.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, removeDir, startKmsd, TEST_HSM_PASSWORD_COST } from './helpers/kmsd.js';
import { hsmCli } from './helpers/hsm-cli.js';
import type { HsmCliRun } from './helpers/hsm-cli.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { TEST_SCOPE, setupCluster } from './helpers/hsm-cluster.js';
import { createHsmModule } from '../src/cloudhsm/hsm/index.js';
import { clusterTable } from '../src/cloudhsm/rows.js';
import { RootKey } from '../src/keystores/root-key.js';

const CLUSTER = 'cluster-clitestabcd';
const ADMIN_PW = 'admin-pw-123';

let t: TestKmsd;

const hsm = (args: string[], env: Record<string, string> = {}): Promise<HsmCliRun> => hsmCli(t.url, args, env);

const admin = ['--cluster-id', CLUSTER, '--admin-password', ADMIN_PW];
const kmsuser = (password: string) => ['--cluster-id', CLUSTER, '--username', 'kmsuser', '--password', password];

beforeAll(async () => {
  const rootKey = randomBytes(32).toString('base64');
  t = await startKmsd({ rootKey });
  // The API side would call initialize() when the cluster's first HSM comes up.
  const contents = createHsmModule({
    store: t.kmsd.store,
    clock: t.kmsd.clock,
    rootKey: RootKey.fromBase64(rootKey),
    passwordCost: TEST_HSM_PASSWORD_COST,
  });
  await setupCluster(t.kmsd.store, contents, CLUSTER);
});
afterAll(async () => t.close());

describe('kmsd hsm CLI', () => {
  it('prints help and rejects bad usage with exit code 2', async () => {
    const help = await hsm(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: kmsd hsm <command> [options]');
    const unknown = await hsm(['user', 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("kmsd hsm: unknown command 'user frobnicate'");
    const missing = await hsm(['user', 'create', '--cluster-id', CLUSTER]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('kmsd hsm: user create: missing --username, --role\n');
    // No password from any source, and no terminal to ask on.
    const noPassword = await hsm(['user', 'list', '--cluster-id', CLUSTER]);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toBe(
      'kmsd hsm: missing --admin-password: give --admin-password-stdin, --admin-password-env <VAR>, or run on a terminal to be asked\n',
    );
    const role = await hsm(['login', ...kmsuser('whatever1'), '--role', 'officer']);
    expect(role.code).toBe(2);
    expect(role.stderr).toBe("kmsd hsm: --role must be crypto-user or admin, not 'officer'\n");
    const noCreds = await hsm(['user', 'list', ...admin], { AWS_ACCESS_KEY_ID: '' });
    expect(noCreds.code).toBe(2);
    expect(noCreds.stderr).toBe('kmsd hsm: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set to sign requests\n');
  });

  it('activates the cluster, manages users, logs in and out, and locks out and unlocks kmsuser', async () => {
    const early = await hsm(['user', 'list', ...admin]);
    expect(early.code).toBe(1);
    expect(early.stderr).toBe(
      `kmsd hsm: CloudHsmInvalidRequestException: Cluster ${CLUSTER} is not activated yet; activate it first (kmsd hsm cluster activate).\n`,
    );

    const activated = await hsm(['cluster', 'activate', '--cluster-id', CLUSTER, '--password', ADMIN_PW]);
    expect(activated).toMatchObject({ code: 0, json: { ClusterId: CLUSTER, State: 'ACTIVE' } });
    expect((await clusterTable(t.kmsd.store).get(TEST_SCOPE, CLUSTER))?.State).toBe('ACTIVE');

    const created = await hsm(['user', 'create', ...admin, '--username', 'kmsuser', '--role', 'crypto-user', '--password', 'kmsPswd1']);
    expect(created.json).toEqual({ User: { Username: 'kmsuser', Role: 'crypto-user', LockedOut: false, LoggedIn: false } });

    const login = await hsm(['login', ...kmsuser('kmsPswd1'), '--role', 'crypto-user']);
    expect(login.json).toEqual({ User: { Username: 'kmsuser', Role: 'crypto-user', LockedOut: false, LoggedIn: true } });
    const listed = await hsm(['user', 'list', ...admin]);
    expect(listed.json).toEqual({
      Users: [
        { Username: 'admin', Role: 'admin', LockedOut: false, LoggedIn: false },
        { Username: 'kmsuser', Role: 'crypto-user', LockedOut: false, LoggedIn: true },
      ],
    });
    const twice = await hsm(['login', ...kmsuser('kmsPswd1'), '--role', 'crypto-user']);
    expect(twice.stderr).toBe("kmsd hsm: CloudHsmInvalidRequestException: User 'kmsuser' is already logged in; log it out first.\n");
    expect((await hsm(['logout', ...kmsuser('kmsPswd1'), '--role', 'crypto-user'])).json).toMatchObject({ User: { LoggedIn: false } });
    expect((await hsm(['key', 'list', ...kmsuser('kmsPswd1')])).json).toEqual({ Keys: [] });

    for (let i = 4; i >= 1; i--) {
      const bad = await hsm(['key', 'list', ...kmsuser('wrong-pass')]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toBe(
        `kmsd hsm: CloudHsmAccessDeniedException: Invalid password for crypto-user 'kmsuser'; ${i} more failed login(s) will lock the user out.\n`,
      );
    }
    const fifth = await hsm(['key', 'list', ...kmsuser('wrong-pass')]);
    expect(fifth.stderr).toBe(
      "kmsd hsm: CloudHsmAccessDeniedException: Invalid password for crypto-user 'kmsuser'; the user is now locked out.\n",
    );
    const locked = await hsm(['key', 'list', ...kmsuser('kmsPswd1')]);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toBe(
      "kmsd hsm: CloudHsmAccessDeniedException: User 'kmsuser' is locked out after 5 failed logins; an admin must change its password to unlock it.\n",
    );
    expect((await hsm(['user', 'list', ...admin])).json).toMatchObject({ Users: [{}, { Username: 'kmsuser', LockedOut: true }] });

    const reset = await hsm([
      'user',
      'change-password',
      ...admin,
      '--username',
      'kmsuser',
      '--role',
      'crypto-user',
      '--password',
      'newPswd22',
    ]);
    expect(reset.json).toEqual({ User: { Username: 'kmsuser', Role: 'crypto-user', LockedOut: false, LoggedIn: false } });
    expect((await hsm(['key', 'list', ...kmsuser('newPswd22')])).code).toBe(0);

    const deleted = await hsm(['user', 'delete', ...admin, '--username', 'kmsuser', '--role', 'crypto-user']);
    expect(deleted.json).toMatchObject({ User: { Username: 'kmsuser', Role: 'crypto-user' } });
    const gone = await hsm(['key', 'list', ...kmsuser('newPswd22')]);
    expect(gone.stderr).toBe(`kmsd hsm: CloudHsmResourceNotFoundException: No crypto-user user named 'kmsuser' in cluster ${CLUSTER}.\n`);
  });

  it('reports unknown clusters, other regions and model validation errors', async () => {
    const otherRegion = await hsm(['user', 'list', ...admin, '--region', 'eu-west-1']);
    expect(otherRegion.code).toBe(1);
    expect(otherRegion.stderr).toBe(`kmsd hsm: CloudHsmResourceNotFoundException: Cluster ${CLUSTER} not found.\n`);
    const short = await hsm(['user', 'create', ...admin, '--username', 'x', '--role', 'admin', '--password', 'short']);
    expect(short.code).toBe(1);
    expect(short.stderr).toBe(
      "kmsd hsm: ValidationException: 1 validation error detected: Value at 'password' failed to satisfy constraint: Member must have length greater than or equal to 7\n",
    );
    const down = await hsm(['user', 'list', ...admin, '--endpoint-url', 'http://127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^kmsd hsm: cannot reach kmsd at http:\/\/127\.0\.0\.1:1: /);
  });

  it('answers CloudHSM-style JSON errors and requires the cloudhsm signing name', async () => {
    const res = await rawRequest(t.url, {
      target: 'KmsdHsmManagement.ListUsers',
      service: 'cloudhsm',
      body: JSON.stringify({ ClusterId: 'cluster-nosuchclust', AdminPassword: 'whatever1' }),
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ __type: 'CloudHsmResourceNotFoundException', Message: 'Cluster cluster-nosuchclust not found.' });
    const wrongService = await rawRequest(t.url, {
      target: 'KmsdHsmManagement.ListUsers',
      service: 'kms',
      body: JSON.stringify({ ClusterId: CLUSTER, AdminPassword: ADMIN_PW }),
    });
    expect(wrongService.status).toBe(400);
    expect(wrongService.body.__type).toBe('InvalidSignatureException');
  });
});

describe('kmsd hsm across a restart', () => {
  it('keeps users on disk but ends every login session', async () => {
    const rootKey = randomBytes(32).toString('base64');
    const first = await startKmsd({ persistent: true, rootKey });
    const dataDir = first.dataDir;
    const contents = createHsmModule({
      store: first.kmsd.store,
      clock: first.kmsd.clock,
      rootKey: RootKey.fromBase64(rootKey),
      passwordCost: TEST_HSM_PASSWORD_COST,
    });
    await setupCluster(first.kmsd.store, contents, CLUSTER);
    const run = (args: string[], url: string) => hsm(args, { KMSD_ENDPOINT: url });
    try {
      expect((await run(['cluster', 'activate', '--cluster-id', CLUSTER, '--password', ADMIN_PW], first.url)).code).toBe(0);
      const create = ['user', 'create', ...admin, '--username', 'kmsuser', '--role', 'crypto-user', '--password', 'kmsPswd1'];
      expect((await run(create, first.url)).code).toBe(0);
      expect((await run(['login', ...kmsuser('kmsPswd1'), '--role', 'crypto-user'], first.url)).json).toMatchObject({
        User: { LoggedIn: true },
      });
      await first.close();

      const second = await startKmsd({ persistent: true, dataDir, rootKey });
      try {
        const users = await run(['user', 'list', ...admin], second.url);
        expect(users.json).toEqual({
          Users: [
            { Username: 'admin', Role: 'admin', LockedOut: false, LoggedIn: false },
            { Username: 'kmsuser', Role: 'crypto-user', LockedOut: false, LoggedIn: false },
          ],
        });
        const logout = await run(['logout', ...kmsuser('kmsPswd1'), '--role', 'crypto-user'], second.url);
        expect(logout.stderr).toBe("kmsd hsm: CloudHsmInvalidRequestException: User 'kmsuser' is not logged in.\n");
      } finally {
        await second.close();
      }
      // Nothing on disk holds a password in plaintext (database, WAL, anything else).
      for (const file of readdirSync(dataDir ?? '')) {
        const bytes = readFileSync(join(dataDir ?? '', file));
        for (const secret of [ADMIN_PW, 'kmsPswd1']) expect(bytes.includes(Buffer.from(secret)), `${secret} in ${file}`).toBe(false);
      }
    } finally {
      removeDir(dataDir);
    }
  });
});
