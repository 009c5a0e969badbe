/**
 * `kmsd serve --workers 2` on one SQLite data directory: two processes answer on one port and
 * share the database file. Every SDK request below opens a new connection, which the cluster
 * hands to the workers in turn, so consecutive requests land on different workers; /health
 * names the pid that answered. What one worker writes the other sees, races for one name have
 * one winner, console sessions and sign-in throttling hold across workers, and a worker killed
 * with SIGKILL is replaced while the server keeps answering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { runKmsd, serve, stopAllProcesses } from './helpers/kmsd-process.js';
import type { Running } from './helpers/kmsd-process.js';
import { awsCli, DEV, REGION } from './helpers/kmsd.js';
import { expectOneAliasWinner } from './helpers/errors.js';
import { httpJson } from './helpers/http-json.js';
import type { Answer } from './helpers/http-json.js';

let dir: string;
let server: Running;
let kms: KMSClient;
const agents: Agent[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kmsd-workers-'));
  server = await serve(['--port', '0', '--data-dir', join(dir, 'data'), '--workers', '2']);
  // No keep-alive: each request is a new connection, so requests alternate between workers.
  kms = new KMSClient({
    endpoint: server.url,
    region: REGION,
    credentials: DEV,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: false }) }),
  });
});

afterAll(async () => {
  kms?.destroy();
  for (const a of agents) a.destroy();
  if (server) expect(await server.stop()).toBe(0);
  stopAllProcesses();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One request over `agent` (a pinned keep-alive connection, or a new one each time). */
function call(agent: Agent, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  // A connection handed to a worker as it dies gets no answer: give up on it after a while.
  return httpJson(new URL(path, server.url).href, { agent, method, body, headers, timeoutMs: 5000 });
}

/** A keep-alive connection held to one worker, and that worker's pid. */
async function connection(): Promise<{ agent: Agent; pid: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  const health = await call(agent, 'GET', '/health');
  return { agent, pid: health.body.pid as number };
}

/** Two connections answered by different workers (new connections alternate between them). */
async function twoWorkers(): Promise<[{ agent: Agent; pid: number }, { agent: Agent; pid: number }]> {
  const first = await connection();
  for (let i = 0; i < 20; i++) {
    const other = await connection();
    if (other.pid !== first.pid) return [first, other];
  }
  throw new Error('every connection reached the same worker');
}

const fresh = () => new Agent({ keepAlive: false });

describe('kmsd serve --workers 2 on one SQLite file', () => {
  it('answers from two processes on one port', async () => {
    expect(server.output()).toContain('Workers: 2 processes on one port');
    const pids = new Set<number>();
    for (let i = 0; i < 6; i++) pids.add((await call(fresh(), 'GET', '/health')).body.pid as number);
    expect(pids.size).toBe(2);
  });

  it('uses, disables and schedules for deletion, on either worker, the keys created on the other', async () => {
    const created = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => (await kms.send(new CreateKeyCommand({ Description: `worker ${i}` }))).KeyMetadata),
    );
    for (const key of created) {
      const plaintext = Buffer.from(`secret of ${key?.KeyId}`);
      const enc = await kms.send(new EncryptCommand({ KeyId: key?.KeyId, Plaintext: plaintext }));
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
      expect(Buffer.from(dec.Plaintext ?? new Uint8Array())).toEqual(plaintext);
      await kms.send(new DisableKeyCommand({ KeyId: key?.KeyId }));
      // Twice, so that both workers refuse it.
      for (let i = 0; i < 2; i++) {
        await expect(kms.send(new EncryptCommand({ KeyId: key?.KeyId, Plaintext: plaintext }))).rejects.toMatchObject({
          name: 'DisabledException',
          message: `${key?.Arn} is disabled.`,
          $metadata: { httpStatusCode: 400 },
        });
      }
      const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key?.KeyId, PendingWindowInDays: 7 }));
      expect(scheduled.KeyState).toBe('PendingDeletion');
      for (let i = 0; i < 2; i++) {
        expect((await kms.send(new DescribeKeyCommand({ KeyId: key?.KeyId }))).KeyMetadata?.KeyState).toBe('PendingDeletion');
      }
    }
  });

  it('gives one success to 20 concurrent CreateAlias calls for one name', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const AliasName = 'alias/workers-race';
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => kms.send(new CreateAliasCommand({ AliasName, TargetKeyId: KeyMetadata?.KeyId }))),
    );
    expect(results).toHaveLength(20);
    expectOneAliasWinner(results, { region: REGION, accountId: DEV.accountId, name: AliasName });
    const enc = await kms.send(new EncryptCommand({ KeyId: AliasName, Plaintext: Buffer.from('by alias') }));
    expect(enc.KeyId).toBe(KeyMetadata?.Arn);
  });

  it('keeps a console session made on one worker valid on the other, and ends it on both', async () => {
    const [a, b] = await twoWorkers();
    const signIn = await call(a.agent, 'POST', '/console/api/session', DEV_SIGN_IN);
    expect(signIn.status).toBe(200);
    const cookie = signIn.cookie ?? '';
    const csrf = signIn.body.csrfToken as string;
    const seen = await call(b.agent, 'GET', '/console/api/session', undefined, { Cookie: cookie });
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ accountId: DEV.accountId, accessKeyId: DEV.accessKeyId, csrfToken: csrf });
    // Calls through either worker act as the signed-in account.
    const input = { service: 'kms', operation: 'CreateKey', region: REGION, input: { Description: 'from the console' } };
    const made = await call(b.agent, 'POST', '/console/api/call', input, { Cookie: cookie, 'X-Kmsd-Csrf-Token': csrf });
    expect(made.status).toBe(200);
    const keyId = (made.body.KeyMetadata as { KeyId: string }).KeyId;
    const listed = await call(
      a.agent,
      'POST',
      '/console/api/call',
      { ...input, operation: 'DescribeKey', input: { KeyId: keyId } },
      {
        Cookie: cookie,
        'X-Kmsd-Csrf-Token': csrf,
      },
    );
    expect(listed.status).toBe(200);
    expect(listed.body.KeyMetadata).toMatchObject({ KeyId: keyId, Description: 'from the console' });
    // Both connections still reach the workers they reached at first.
    expect((await call(a.agent, 'GET', '/health')).body.pid).toBe(a.pid);
    expect((await call(b.agent, 'GET', '/health')).body.pid).toBe(b.pid);

    const out = await call(a.agent, 'DELETE', '/console/api/session', undefined, { Cookie: cookie, 'X-Kmsd-Csrf-Token': csrf });
    expect(out.status).toBe(200);
    const after = await call(b.agent, 'GET', '/console/api/session', undefined, { Cookie: cookie });
    expect(after.status).toBe(401);
    expect(after.body.__type).toBe('NotSignedIn');
  });

  it('counts failed console sign-ins across workers', async () => {
    const [a, b] = await twoWorkers();
    for (let i = 0; i < 5; i++) {
      const guess = await call(i % 2 ? a.agent : b.agent, 'POST', '/console/api/session', {
        ...DEV_SIGN_IN,
        secretAccessKey: `guess-${i}`,
      });
      expect(guess.status).toBe(401);
    }
    // Three failures went to one worker and two to the other: only their sum reaches the limit.
    for (const worker of [a, b]) {
      const paused = await call(worker.agent, 'POST', '/console/api/session', DEV_SIGN_IN);
      expect(paused.status).toBe(429);
      expect(paused.body).toEqual({
        __type: 'TooManyFailedSignIns',
        message: 'Sign-in with this access key ID is paused after 5 failed attempts; try again in 5 minute(s).',
      });
    }
  });

  it('serves /usr/bin/aws with keys the SDK uses through the other worker', async () => {
    const created = await awsCli(server.url, ['kms', 'create-key', '--description', 'from the CLI on workers']);
    expect(created.code).toBe(0);
    const keyId = (created.json as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
    for (let i = 0; i < 2; i++) {
      const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(`cli key ${i}`) }));
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
      expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe(`cli key ${i}`);
    }
    const described = await awsCli(server.url, ['kms', 'describe-key', '--key-id', keyId]);
    expect((described.json as { KeyMetadata: { Description: string } }).KeyMetadata.Description).toBe('from the CLI on workers');
  });

  it('replaces a worker killed with SIGKILL and keeps answering', async () => {
    const before = new Set<number>();
    for (let i = 0; i < 6 && before.size < 2; i++) before.add((await call(fresh(), 'GET', '/health')).body.pid as number);
    expect(before.size).toBe(2);
    const [victim, survivor] = [...before];
    process.kill(victim, 'SIGKILL');
    const answered = new Set<number>();
    for (let i = 0; i < 120 && answered.size < 2; i++) {
      const pid = await call(fresh(), 'GET', '/health').then(
        (a) => a.body.pid as number,
        () => undefined,
      );
      if (pid !== undefined) answered.add(pid);
      if (answered.size < 2) await new Promise((r) => setTimeout(r, 250));
    }
    // The survivor and a new worker answer; the killed one is gone.
    expect(answered.has(survivor)).toBe(true);
    expect(answered.has(victim)).toBe(false);
    expect(answered.size).toBe(2);
    expect(server.output()).toContain(`kmsd: worker ${victim} exited (signal SIGKILL); starting another`);
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'after a worker was replaced' }));
    for (let i = 0; i < 4; i++) {
      const enc = await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from(`after ${i}`) }));
      expect(enc.KeyId).toBe(KeyMetadata?.Arn);
    }
  }, 120_000);

  it('refuses a bad --workers value, and more than one worker with --in-memory or --test-hooks', async () => {
    for (const [args, message] of [
      [['--workers', '0'], '--workers needs a positive whole number or auto, not 0'],
      [['--workers', 'two'], '--workers needs a positive whole number or auto, not two'],
      [['--workers', '2', '--in-memory'], '--workers needs a store the workers share: not with --in-memory'],
      [['--workers', '2', '--test-hooks', '--data-dir', join(dir, 'hooks')], "--test-hooks moves one process's clock: not with --workers"],
    ] as const) {
      const r = await runKmsd(['serve', '--port', '0', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`kmsd: ${message} (see kmsd serve --help)\n`);
    }
  });
});

const DEV_SIGN_IN = { accessKeyId: DEV.accessKeyId, secretAccessKey: DEV.secretAccessKey };
