/**
 * The built `kmsd` command as a process: flags, environment, config file, signals, the data
 * directory (persistence, root key, nothing in plaintext) and --in-memory.
 * Needs dist/ (`npm ci` builds it through the prepare script; or `npx tsc -p tsconfig.build.json`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  ListKeysCommand,
} from '@aws-sdk/client-kms';
import { DEV, REGION, awsCli, signedHeaders } from './helpers/kmsd.js';
import { defaultConfig } from '../src/config.js';
import { runKmsd, serve, stopAllProcesses } from './helpers/kmsd-process.js';

const temps: string[] = [];
const clients: KMSClient[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kmsd-proc-'));
  temps.push(d);
  return d;
}

function kms(url: string, creds: { accessKeyId: string; secretAccessKey: string } = DEV): KMSClient {
  const c = new KMSClient({ endpoint: url, region: REGION, credentials: creds, maxAttempts: 1 });
  clients.push(c);
  return c;
}

beforeAll(() => {
  if (!existsSync('dist/cli/main.js')) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` (npm ci does it)');
});
afterAll(() => {
  for (const c of clients) c.destroy();
  stopAllProcesses();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe('kmsd command line', () => {
  it('describes every command and option in --help', async () => {
    const main = await runKmsd(['--help']);
    expect(main.code).toBe(0);
    for (const text of ['kmsd serve [options]', 'kmsd hsm <command>', 'kmsd --help']) expect(main.stdout).toContain(text);

    const help = await runKmsd(['serve', '--help']);
    expect(help.code).toBe(0);
    const options = [
      '--host',
      '--port',
      '--data-dir',
      '--config',
      '--audit-log',
      '--in-memory',
      '--test-hooks',
      '--enforce-request-quotas',
      '--help',
    ];
    const env = [
      'KMSD_HOST',
      'KMSD_PORT',
      'KMSD_DATA_DIR',
      'KMSD_CONFIG',
      'KMSD_AUDIT_LOG',
      'KMSD_IN_MEMORY',
      'KMSD_TEST_HOOKS',
      'KMSD_ENFORCE_REQUEST_QUOTAS',
      'KMSD_ROOT_KEY',
    ];
    for (const text of [...options, ...env]) expect(help.stdout).toContain(text);
    expect(help.stdout).toContain('111122223333');
  });

  it('rejects unknown commands, options and bad ports', async () => {
    const cmd = await runKmsd(['frobnicate']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain("kmsd: unknown command 'frobnicate'");
    const opt = await runKmsd(['serve', '--bogus']);
    expect(opt.code).toBe(2);
    expect(opt.stderr).toContain("Unknown option '--bogus'");
    const port = await runKmsd(['serve', '--in-memory', '--port', '70000']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('kmsd: invalid port 70000');
    const cost = await runKmsd(['serve', '--in-memory', '--port', '0', '--hsm-password-cost', '13']);
    expect(cost.code).toBe(2);
    expect(cost.stderr).toContain('kmsd: invalid --hsm-password-cost 13: it must be an integer from 14 to 20');
  });

  it('warns at start when HSM password hashes are made below the default scrypt cost', async () => {
    // baseEnv gives test servers the lowest cost, 14; the default (17) says nothing.
    const low = await serve(['--in-memory', '--port', '0']);
    expect(low.output()).toContain('kmsd: warning: HSM password hashes use scrypt N=2^14, below the OWASP minimum (2^17): for tests only');
    await low.stop();
    const standard = await serve(['--in-memory', '--port', '0'], { KMSD_HSM_PASSWORD_COST: '17' });
    expect(standard.output()).not.toContain('HSM password hashes');
    await standard.stop();
  });

  it('with --port 0 picks a free port, prints the URL and states the development account', async () => {
    const k = await serve(['--in-memory', '--port', '0']);
    expect(k.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(k.url).not.toBe('http://127.0.0.1:0');
    expect(k.output()).toContain('No --config given: serving the development account 111122223333 (access key "test", secret "test").');
    expect((await fetch(`${k.url}/health`)).status).toBe(200);
    const { KeyMetadata } = await kms(k.url).send(new CreateKeyCommand({}));
    expect(KeyMetadata?.Arn).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\//);
    expect(await k.stop()).toBe(0);
  });

  it('takes its settings from KMSD_* environment variables', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'state');
    const k = await serve([], { KMSD_PORT: '0', KMSD_HOST: '127.0.0.1', KMSD_DATA_DIR: dataDir, KMSD_TEST_HOOKS: '1' });
    expect(k.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(join(dataDir, 'kmsd.sqlite'))).toBe(true);
    // KMSD_TEST_HOOKS enabled the clock route, with the token printed at start.
    const token = /Test hooks: on; send header X-Kmsd-Test-Token: (\S+)/.exec(k.output())?.[1] ?? '';
    expect(token).toMatch(/^[\w-]{32}$/);
    const moved = await fetch(`${k.url}/_kmsd/test/clock`, {
      method: 'POST',
      headers: { 'X-Kmsd-Test-Token': token },
      body: '{"advanceSeconds":0}',
    });
    expect(moved.status).toBe(200);
    expect(await k.stop()).toBe(0);

    const mem = await serve([], { KMSD_PORT: '0', KMSD_IN_MEMORY: '1', KMSD_DATA_DIR: join(dir, 'unused') });
    expect(existsSync(join(dir, 'unused'))).toBe(false);
    // Without KMSD_TEST_HOOKS the clock route does not exist.
    expect((await fetch(`${mem.url}/_kmsd/test/clock`, { method: 'POST', body: '{"advanceSeconds":0}' })).status).toBe(400);
    expect(await mem.stop()).toBe(0);
  });

  it('serves the accounts of a --config file, each seeing only its own keys', async () => {
    const dir = tempDir();
    const config = join(dir, 'kmsd.json');
    const alice = { accessKeyId: 'AKIAALICE', secretAccessKey: 'alice-secret' };
    const bob = { accessKeyId: 'AKIABOB', secretAccessKey: 'bob-secret' };
    writeFileSync(
      config,
      JSON.stringify({
        accounts: [
          { accountId: '123456789012', credentials: [alice] },
          { accountId: '210987654321', credentials: [bob] },
        ],
      }),
    );
    const k = await serve(['--in-memory', '--port', '0'], { KMSD_CONFIG: config });
    expect(k.output()).not.toContain('No --config given');
    const a = kms(k.url, alice);
    const b = kms(k.url, bob);
    const aKey = (await a.send(new CreateKeyCommand({}))).KeyMetadata;
    const bKey = (await b.send(new CreateKeyCommand({}))).KeyMetadata;
    expect(aKey?.Arn).toContain(':123456789012:key/');
    expect(bKey?.Arn).toContain(':210987654321:key/');
    expect((await a.send(new ListKeysCommand({}))).Keys?.map((x) => x.KeyId)).toEqual([aKey?.KeyId]);
    expect((await b.send(new ListKeysCommand({}))).Keys?.map((x) => x.KeyId)).toEqual([bKey?.KeyId]);
    await expect(b.send(new DescribeKeyCommand({ KeyId: aKey?.KeyId }))).rejects.toMatchObject({ name: 'NotFoundException' });
    // By ARN the key is found and refused: A's default key policy does not name account B.
    await expect(b.send(new DescribeKeyCommand({ KeyId: aKey?.Arn }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: `User: arn:aws:iam::210987654321:root is not authorized to perform: kms:DescribeKey on resource: ${aKey?.Arn} because no resource-based policy allows the kms:DescribeKey action`,
    });
    // The development credentials are not served when a config is given.
    await expect(kms(k.url).send(new ListKeysCommand({}))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    expect(await k.stop()).toBe(0);

    // The same file through --config.
    const viaFlag = await serve(['--in-memory', '--port', '0', '--config', config]);
    expect((await kms(viaFlag.url, bob).send(new ListKeysCommand({}))).Keys).toEqual([]);
    expect(await viaFlag.stop()).toBe(0);
  });

  it('enforces the config file request quotas only with --enforce-request-quotas (AWS CLI sees ThrottlingException)', async () => {
    const dir = tempDir();
    const config = join(dir, 'quotas.json');
    // One DescribeKey per 1000 s: the second call is refused whatever the machine's speed.
    writeFileSync(config, JSON.stringify({ ...defaultConfig(), quotas: { requestsPerSecond: { operations: { DescribeKey: 0.001 } } } }));
    const describeTwice = async (url: string) => {
      const key = (await kms(url).send(new CreateKeyCommand({}))).KeyMetadata;
      const first = await awsCli(url, ['kms', 'describe-key', '--key-id', key?.KeyId ?? '']);
      const second = await awsCli(url, ['kms', 'describe-key', '--key-id', key?.KeyId ?? '']);
      return { first, second };
    };
    const enforced = await serve(['--in-memory', '--port', '0', '--config', config, '--enforce-request-quotas']);
    const { first, second } = await describeTwice(enforced.url);
    expect(first.code).toBe(0);
    expect(second.code).not.toBe(0);
    // The CLI treats throttling as retryable; AWS_MAX_ATTEMPTS=1 makes it give up at once.
    expect(second.stderr).toContain(
      'An error occurred (ThrottlingException) when calling the DescribeKey operation (reached max retries: 0): You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.',
    );
    expect(await enforced.stop()).toBe(0);

    const relaxed = await serve(['--in-memory', '--port', '0', '--config', config]);
    const again = await describeTwice(relaxed.url);
    expect([again.first.code, again.second.code]).toEqual([0, 0]);
    expect(await relaxed.stop()).toBe(0);
  });

  it('refuses a broken config file with a clear message', async () => {
    const dir = tempDir();
    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ accounts: [{ accountId: '12', credentials: [] }] }));
    const res = await runKmsd(['serve', '--in-memory', '--port', '0', '--config', config]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`kmsd: ${config}: account id "12" must be 12 digits`);
  });
});

describe('signals', () => {
  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    const k = await serve(['--in-memory', '--port', '0']);
    const u = new URL(k.url);
    const body = '{"Description":"created while stopping"}';
    const signed = {
      headers: await signedHeaders(k.url, 'TrentService.CreateKey', body, {
        headers: { 'content-length': String(Buffer.byteLength(body)) },
      }),
    };
    // `Expect: 100-continue` makes kmsd acknowledge the request before its body is sent:
    // from then on it is in flight. SIGTERM comes then; the body only after kmsd logged it.
    let code: Promise<number | null> | undefined;
    const response = new Promise<{ status: number; text: string }>((res, rej) => {
      const req = httpRequest(
        { host: u.hostname, port: u.port, method: 'POST', path: '/', headers: { ...signed.headers, expect: '100-continue' } },
        (r) => {
          let text = '';
          r.on('data', (d: Buffer) => (text += d.toString()));
          r.on('end', () => res({ status: r.statusCode ?? 0, text }));
        },
      );
      req.on('error', rej);
      req.on('continue', () => {
        const finish = () => {
          if (!k.output().includes('SIGTERM received')) return;
          k.proc.stdout.off('data', finish);
          req.end(body);
        };
        k.proc.stdout.on('data', finish);
        code = k.stop();
      });
      req.flushHeaders();
    });
    const { status, text } = await response;
    expect(status).toBe(200);
    expect(JSON.parse(text).KeyMetadata.Description).toBe('created while stopping');
    expect(await code).toBe(0);
    expect(k.output()).toContain('SIGTERM received; finishing requests in flight');
  });
});

describe('the data directory', () => {
  it('keeps keys across a restart, with the root key file at mode 0600', async () => {
    const dataDir = join(tempDir(), 'data');
    const first = await serve(['--port', '0', '--data-dir', dataDir]);
    const c1 = kms(first.url);
    const { KeyMetadata } = await c1.send(new CreateKeyCommand({ Description: 'survives' }));
    const enc = await c1.send(
      new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('persisted secret'), EncryptionContext: { app: 'x' } }),
    );
    expect(await first.stop()).toBe(0);
    expect(statSync(join(dataDir, 'root-key')).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);

    const second = await serve(['--port', '0', '--data-dir', dataDir]);
    const c2 = kms(second.url);
    const dec = await c2.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { app: 'x' } }));
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe('persisted secret');
    expect((await c2.send(new DescribeKeyCommand({ KeyId: KeyMetadata?.KeyId }))).KeyMetadata?.Description).toBe('survives');
    expect(await second.stop()).toBe(0);
  });

  it('uses KMSD_ROOT_KEY instead of a root-key file, and refuses to start with another root key', async () => {
    const dataDir = join(tempDir(), 'data');
    const rootKey = randomBytes(32).toString('base64');
    const first = await serve(['--port', '0', '--data-dir', dataDir], { KMSD_ROOT_KEY: rootKey });
    const { KeyMetadata } = await kms(first.url).send(new CreateKeyCommand({}));
    const enc = await kms(first.url).send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('env root key') }));
    expect(await first.stop()).toBe(0);
    expect(existsSync(join(dataDir, 'root-key'))).toBe(false);

    const again = await serve(['--port', '0', '--data-dir', dataDir], { KMSD_ROOT_KEY: rootKey });
    const dec = await kms(again.url).send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe('env root key');
    expect(await again.stop()).toBe(0);

    const wrong = await runKmsd(['serve', '--port', '0', '--data-dir', dataDir], { KMSD_ROOT_KEY: randomBytes(32).toString('base64') });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      'kmsd: the root key (KMSD_ROOT_KEY or <data-dir>/root-key) is not the one this data directory was created with; refusing to start',
    );
    const short = await runKmsd(['serve', '--port', '0', '--in-memory'], { KMSD_ROOT_KEY: 'c2hvcnQ=' });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('kmsd: KMSD_ROOT_KEY must be the base64 encoding of exactly 32 bytes');
  });

  it('never writes plaintext or data-key plaintext to the database files', async () => {
    const dataDir = join(tempDir(), 'data');
    const k = await serve(['--port', '0', '--data-dir', dataDir]);
    const c = kms(k.url);
    const { KeyMetadata } = await c.send(new CreateKeyCommand({}));
    const plaintext = randomBytes(48);
    await c.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: plaintext }));
    const dataKey = await c.send(new GenerateDataKeyCommand({ KeyId: KeyMetadata?.KeyId, KeySpec: 'AES_256' }));
    const dataKeyPlaintext = Buffer.from(dataKey.Plaintext ?? new Uint8Array());
    expect(dataKeyPlaintext.length).toBe(32);
    const secrets: [string, Buffer][] = [
      ['plaintext', plaintext],
      ['base64 plaintext', Buffer.from(plaintext.toString('base64'))],
      ['data key', dataKeyPlaintext],
      ['base64 data key', Buffer.from(dataKeyPlaintext.toString('base64'))],
      ['hex data key', Buffer.from(dataKeyPlaintext.toString('hex'))],
    ];
    // Scan while running (the WAL holds the newest pages) and again after shutdown.
    const scan = () => {
      const files = readdirSync(dataDir).filter((f) => f.startsWith('kmsd.sqlite'));
      expect(files).toContain('kmsd.sqlite');
      // The root key lives in its own file and never in the database either.
      const rootKey = Buffer.from(readFileSync(join(dataDir, 'root-key'), 'utf8').trim(), 'base64');
      expect(rootKey.length).toBe(32);
      for (const f of files) {
        const bytes = readFileSync(join(dataDir, f));
        expect(bytes.includes(rootKey), `root key in ${f}`).toBe(false);
        for (const [what, secret] of secrets) expect(bytes.includes(secret), `${what} in ${f}`).toBe(false);
      }
      return files;
    };
    expect(scan()).toContain('kmsd.sqlite-wal');
    expect(await k.stop()).toBe(0);
    scan();
  });

  it('writes nothing at all with --in-memory', async () => {
    const cwd = tempDir();
    const k = await serve(['--in-memory', '--port', '0', '--data-dir', join(cwd, 'data')], {}, cwd);
    const c = kms(k.url);
    const { KeyMetadata } = await c.send(new CreateKeyCommand({}));
    const enc = await c.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('x') }));
    expect(enc.CiphertextBlob?.length).toBeGreaterThan(70);
    expect(await k.stop()).toBe(0);
    expect(readdirSync(cwd)).toEqual([]);
  });
});
