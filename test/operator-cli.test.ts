/**
 * The `kmsd` command as an operator meets it (the built CLI as a process): --version, --help
 * on every subcommand and exit codes, `kmsd config check`, the safe defaults of `kmsd serve`
 * (no development account off loopback, data directory modes, the start banner), and the
 * ways `kmsd hsm` takes passwords: standard input, an environment variable, a no-echo prompt
 * on a pseudo-terminal (util-linux `script`), and the inline flag with its warning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ListKeysCommand } from '@aws-sdk/client-kms';
import { DEV, startKmsd, TEST_HSM_PASSWORD_COST } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { BIN, baseEnv, exited, runKmsd, serve, stopAllProcesses } from './helpers/kmsd-process.js';
import { setupCluster } from './helpers/hsm-cluster.js';
import { createHsmModule } from '../src/cloudhsm/hsm/index.js';
import { RootKey } from '../src/keystores/root-key.js';

const temps: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kmsd-op-'));
  temps.push(d);
  return d;
}

const ALICE = { accessKeyId: 'AKIAOPERATORALICE', secretAccessKey: 'alice-very-secret-1' };
const BOB = { accessKeyId: 'AKIAOPERATORBOB', secretAccessKey: 'bob-very-secret-2' };
const GOOD_CONFIG = {
  accounts: [
    { accountId: '123456789012', credentials: [ALICE] },
    { accountId: '210987654321', credentials: [BOB] },
  ],
};

function writeConfig(content: string): string {
  const file = join(tempDir(), 'kmsd.json');
  writeFileSync(file, content);
  return file;
}

afterAll(() => {
  stopAllProcesses();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe('kmsd --version, --help and exit codes', () => {
  it('prints the package version for --version and -v', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const r = await runKmsd([flag]);
      expect(r).toEqual({ code: 0, stdout: `kmsd ${version}\n`, stderr: '' });
    }
  });

  it('has --help on every subcommand (exit 0) and documents the exit codes', async () => {
    const main = await runKmsd(['--help']);
    expect(main.stdout).toContain('Exit codes: 0 success, 1 failure, 2 usage error');
    for (const [args, usage] of [
      [['serve', '--help'], 'Usage: kmsd serve [options]'],
      [['hsm', '--help'], 'Usage: kmsd hsm <command> [options]'],
      [['dev-cert', '--help'], 'Usage: kmsd dev-cert [options]'],
      [['config', '--help'], 'Usage: kmsd config check <file>'],
    ] as const) {
      const r = await runKmsd([...args]);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain(usage);
      expect(r.stdout).toMatch(/Exit codes: 0 .*1 .*2 usage error/);
    }
  });

  it('exits 2 on usage errors', async () => {
    expect((await runKmsd(['nonsense'])).code).toBe(2);
    expect((await runKmsd(['dev-cert', '--bogus'])).code).toBe(2);
    expect((await runKmsd(['config', 'lint', 'x.json'])).code).toBe(2);
    const half = await runKmsd(['serve', '--in-memory', '--port', '0', '--tls-cert', 'x.pem']);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('kmsd: --tls-cert and --tls-key go together: give both or neither');
  });
});

describe('kmsd config check', () => {
  it('accepts a valid file, naming the accounts and never a secret', async () => {
    const file = writeConfig(JSON.stringify(GOOD_CONFIG));
    const r = await runKmsd(['config', 'check', file]);
    expect(r).toEqual({ code: 0, stdout: `${file}: OK: 2 account(s) (123456789012, 210987654321), 2 access key(s)\n`, stderr: '' });
  });

  it('reports JSON syntax errors with line and column', async () => {
    const file = writeConfig('{\n  "accounts": [\n    { "accountId": "123456789012", },\n  ]\n}\n');
    const r = await runKmsd(['config', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`kmsd: ${file}:3:36: invalid JSON: property name expected\n`);
    // The same message stops kmsd serve.
    const s = await runKmsd(['serve', '--in-memory', '--port', '0', '--config', file]);
    expect(s.code).toBe(1);
    expect(s.stderr).toBe(`kmsd: ${file}:3:36: invalid JSON: property name expected\n`);
  });

  it('reports duplicate access keys, bad account ids and unreadable files', async () => {
    const dup = writeConfig(
      JSON.stringify({
        accounts: [GOOD_CONFIG.accounts[0], { accountId: '210987654321', credentials: [{ ...BOB, accessKeyId: ALICE.accessKeyId }] }],
      }),
    );
    expect(await runKmsd(['config', 'check', dup])).toEqual({
      code: 1,
      stdout: '',
      stderr: `kmsd: ${dup}: access key ${ALICE.accessKeyId} is listed twice\n`,
    });
    const badId = writeConfig(JSON.stringify({ accounts: [{ accountId: '1234', credentials: [ALICE] }] }));
    expect((await runKmsd(['config', 'check', badId])).stderr).toBe(`kmsd: ${badId}: account id "1234" must be 12 digits\n`);
    const missing = await runKmsd(['config', 'check', '/nonexistent/kmsd.json']);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'kmsd: cannot read config file /nonexistent/kmsd.json: ENOENT\n' });
    expect((await runKmsd(['config', 'check'])).code).toBe(2);
  });
});

describe('kmsd serve safe defaults', () => {
  it('refuses to serve the development account on 0.0.0.0 without --config, saying why and naming --dev', async () => {
    for (const [args, env] of [
      [['--host', '0.0.0.0'], {}],
      [[], { KMSD_HOST: '0.0.0.0' }],
    ] as const) {
      const r = await runKmsd(['serve', '--in-memory', '--port', '0', ...args], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('kmsd: refusing to start: without --config kmsd serves the development account 111122223333');
      expect(r.stderr).toContain('--host 0.0.0.0 makes it reachable from other machines');
      expect(r.stderr).toContain('or --dev to serve the development account there anyway');
    }
  });

  it('serves it there with --dev, with a warning', async () => {
    const k = await serve(['--in-memory', '--port', '0', '--host', '0.0.0.0', '--dev']);
    expect(k.output()).toContain('kmsd: warning: --dev: the development account is served on 0.0.0.0');
    const port = new URL(k.url).port;
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);
    expect(await k.stop()).toBe(0);
  });

  it('serves a config on 0.0.0.0 and prints where data lives, TLS, the console and the account ids, never secrets', async () => {
    const dir = tempDir();
    const config = writeConfig(JSON.stringify(GOOD_CONFIG));
    const k = await serve(['--port', '0', '--host', '0.0.0.0', '--config', config, '--data-dir', join(dir, 'data')]);
    const out = k.output();
    const port = new URL(k.url).port;
    expect(out).toContain(`Data: ${resolve(dir, 'data')} (database kmsd.sqlite; root key root-key)`);
    expect(out).toContain('TLS: off (plain HTTP; see --tls-cert and kmsd dev-cert)');
    expect(out).toContain('Accounts: 123456789012, 210987654321');
    expect(out).toContain(`Console: http://localhost:${port}/console`);
    for (const secret of [ALICE.secretAccessKey, BOB.secretAccessKey]) expect(out).not.toContain(secret);
    expect(await k.stop()).toBe(0);
  });
});

describe('the data directory modes', () => {
  it('creates the directory 0700 and the database, its WAL and the root key 0600', async () => {
    const dataDir = join(tempDir(), 'fresh', 'data');
    // At the default HSM password cost: then a fresh data directory gives no warning at all.
    const k = await serve(['--port', '0', '--data-dir', dataDir], { KMSD_HSM_PASSWORD_COST: '17' });
    const { KMSClient } = await import('@aws-sdk/client-kms');
    const client = new KMSClient({ endpoint: k.url, region: 'us-east-1', credentials: DEV, maxAttempts: 1 });
    await client.send(new ListKeysCommand({}));
    client.destroy();
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    for (const f of ['kmsd.sqlite', 'kmsd.sqlite-wal', 'root-key']) expect(statSync(join(dataDir, f)).mode & 0o777, f).toBe(0o600);
    expect(k.output()).not.toContain('warning');
    expect(await k.stop()).toBe(0);
  });

  it('reports an existing data directory and database with looser modes', async () => {
    const dataDir = join(tempDir(), 'data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'kmsd.sqlite'), '');
    chmodSync(join(dataDir, 'kmsd.sqlite'), 0o644);
    const k = await serve(['--port', '0', '--data-dir', dataDir]);
    expect(k.output()).toContain(
      `kmsd: warning: data directory ${dataDir} has mode 0755: other users may read it; run chmod 700 ${dataDir}`,
    );
    expect(k.output()).toContain(
      `kmsd: warning: ${dataDir}/kmsd.sqlite has mode 0644: other users may read it; run chmod 600 ${dataDir}/kmsd.sqlite`,
    );
    expect(await k.stop()).toBe(0);
  });
});

describe('kmsd hsm passwords off the command line', () => {
  const CLUSTER = 'cluster-operatorcliab';
  let t: TestKmsd;

  beforeAll(async () => {
    const rootKey = randomBytes(32).toString('base64');
    t = await startKmsd({ rootKey });
    const contents = createHsmModule({
      store: t.kmsd.store,
      clock: t.kmsd.clock,
      rootKey: RootKey.fromBase64(rootKey),
      passwordCost: TEST_HSM_PASSWORD_COST,
    });
    await setupCluster(t.kmsd.store, contents, CLUSTER);
  });
  afterAll(async () => t?.close());

  const env = (extra: Record<string, string> = {}) => ({
    AWS_ACCESS_KEY_ID: DEV.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEV.secretAccessKey,
    KMSD_ENDPOINT: t.url,
    ...extra,
  });
  const hsm = (args: string[], extra: Record<string, string> = {}, input?: string) =>
    runKmsd(['hsm', ...args, '--cluster-id', CLUSTER], env(extra), input);

  /**
   * Runs `kmsd hsm` on a pseudo-terminal (util-linux script) and types each answer once its
   * prompt has appeared; returns everything the terminal showed.
   */
  async function onTerminal(
    args: string[],
    answers: [prompt: string, typed: string][],
    extraEnv: Record<string, string> = {},
  ): Promise<{ code: number | null; screen: string }> {
    const command = [process.execPath, BIN, 'hsm', ...args, '--cluster-id', CLUSTER].map((a) => `'${a}'`).join(' ');
    const proc = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { env: baseEnv(env(extraEnv)) });
    let screen = '';
    let next = 0;
    const onOutput = (d: Buffer) => {
      screen += d.toString();
      const answer = answers[next];
      if (answer && screen.split(answer[0]).length - 1 > answers.slice(0, next).filter((a) => a[0] === answer[0]).length) {
        next++;
        proc.stdin.write(`${answer[1]}\r`);
      }
    };
    proc.stdout.on('data', onOutput);
    proc.stderr.on('data', onOutput);
    const code = await exited(proc as never);
    return { code, screen };
  }

  it('reads a password from standard input with --password-stdin, without a warning', async () => {
    const r = await hsm(['cluster', 'activate', '--password-stdin'], {}, 'admin-Pw-1\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ClusterId: CLUSTER });
  });

  it('reads passwords from environment variables it names', async () => {
    const r = await hsm(
      ['user', 'create', '--admin-password-env', 'ADMIN_PW', '--username', 'kmsuser', '--role', 'crypto-user', '--password-env', 'NEW_PW'],
      { ADMIN_PW: 'admin-Pw-1', NEW_PW: 'kmsuser-Pw-1' },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const unset = await hsm(['user', 'list', '--admin-password-env', 'NOT_SET_ANYWHERE']);
    expect(unset).toMatchObject({ code: 2, stderr: 'kmsd hsm: --admin-password-env: environment variable NOT_SET_ANYWHERE is not set\n' });
  });

  it('still takes --password inline, warning on stderr', async () => {
    const r = await hsm(['user', 'list', '--admin-password', 'admin-Pw-1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'kmsd hsm: warning: --admin-password shows the password to other users (ps) and keeps it in shell history; ' +
        'prefer --admin-password-stdin, --admin-password-env <VAR> or the prompt\n',
    );
    expect(JSON.stringify(JSON.parse(r.stdout))).toContain('kmsuser');
  });

  it('refuses two sources for one password, and two stdin readers', async () => {
    const both = await hsm(['user', 'list', '--admin-password', 'x', '--admin-password-env', 'X']);
    expect(both).toMatchObject({
      code: 2,
      stderr: 'kmsd hsm: give only one of --admin-password, --admin-password-stdin and --admin-password-env\n',
    });
    const two = await hsm(['key', 'list', '--username', 'kmsuser', '--password-stdin', '--admin-password-stdin'], {}, 'x\n');
    expect(two.code).toBe(2);
  });

  it('prompts on a terminal without echo, asking a new password twice', async () => {
    const changed = await onTerminal(
      ['user', 'change-password', '--username', 'kmsuser', '--role', 'crypto-user'],
      [
        ['Password of admin admin: ', 'admin-Pw-1'],
        ['New password for kmsuser: ', 'typed-Secret-2'],
        ['New password for kmsuser (again): ', 'typed-Secret-2'],
      ],
    );
    expect(changed.code).toBe(0);
    expect(changed.screen).toContain('New password for kmsuser (again): ');
    // Nothing typed appears on the terminal.
    expect(changed.screen).not.toContain('admin-Pw-1');
    expect(changed.screen).not.toContain('typed-Secret-2');
    // The new password works.
    const keys = await hsm(['key', 'list', '--username', 'kmsuser', '--password-env', 'PW'], { PW: 'typed-Secret-2' });
    expect(keys.code).toBe(0);

    const mismatch = await onTerminal(
      ['user', 'change-password', '--username', 'kmsuser', '--role', 'crypto-user', '--admin-password-env', 'ADMIN_PW'],
      [
        ['New password for kmsuser: ', 'first-Try-3'],
        ['New password for kmsuser (again): ', 'other-Try-4'],
      ],
      { ADMIN_PW: 'admin-Pw-1' },
    );
    expect(mismatch.code).toBe(1);
    expect(mismatch.screen).toContain('kmsd hsm: the two passwords do not match');
  }, 60_000);
});
