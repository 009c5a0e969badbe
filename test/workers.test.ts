/**
 * `kmsd serve --workers 2` on one SQLite data directory: two processes answer on one port and
 * share the database file. Every SDK request below opens a new connection, which the cluster
 * hands to the workers in turn, so consecutive requests land on different workers; /health
 * names the pid that answered. What one worker writes the other sees, races for one name have
 * one winner, console sessions and sign-in throttling hold across workers, an HSM user locks out
 * after exactly 5 failed logins spread over both workers, a custom key store connected through
 * one worker serves on the other, a key whose waiting period ends is deleted once, and a worker
 * killed with SIGKILL is replaced while the server keeps answering (a request handed to it as it
 * dies ends, and the SDK's retry gets an answer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConnectCustomKeyStoreCommand,
  CreateAliasCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisconnectCustomKeyStoreCommand,
  EncryptCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { runKmsd, serve, stopAllProcesses } from './helpers/kmsd-process.js';
import type { Running } from './helpers/kmsd-process.js';
import { awsCli, DEV, REGION, signedHeaders } from './helpers/kmsd.js';
import { ADMIN_PASSWORD, createKeyStoreCluster, SUBNETS } from './helpers/cluster.js';
import type { ClusterEndpoint } from './helpers/cluster.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { dueOf, keyTable } from '../src/kms/keys.js';
import { expectOneAliasWinner } from './helpers/errors.js';
import { httpJson } from './helpers/http-json.js';
import type { Answer } from './helpers/http-json.js';

let dir: string;
let server: Running;
let kms: KMSClient;
/** For the CloudHSM cluster steps (test/helpers/cluster.ts). */
let endpoint: ClusterEndpoint;
const agents: Agent[] = [];
const clients: { destroy(): void }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kmsd-workers-'));
  // The development account, plus subnets and instant CloudHSM transitions for the cluster steps.
  const config = {
    accounts: [{ accountId: DEV.accountId, credentials: [{ accessKeyId: DEV.accessKeyId, secretAccessKey: DEV.secretAccessKey }] }],
    subnets: { [SUBNETS[0]]: 'us-east-1a', [SUBNETS[1]]: 'us-east-1b' },
    cloudhsm: { transitionMs: 0 },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  server = await serve(['--port', '0', '--data-dir', join(dir, 'data'), '--workers', '2', '--config', join(dir, 'config.json')]);
  // No keep-alive: each request is a new connection, so requests alternate between workers.
  kms = new KMSClient({
    endpoint: server.url,
    region: REGION,
    credentials: DEV,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: false }) }),
  });
  endpoint = {
    url: server.url,
    cloudhsm: () => track(new CloudHSMV2Client({ endpoint: server.url, region: REGION, credentials: DEV, maxAttempts: 1 })),
  };
});

afterAll(async () => {
  kms?.destroy();
  for (const c of clients) c.destroy();
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

function track<C extends { destroy(): void }>(client: C): C {
  clients.push(client);
  return client;
}

/** A KMS client whose requests all go over `agent` (to one worker). */
const pinnedKms = (agent: Agent) =>
  track(
    new KMSClient({
      endpoint: server.url,
      region: REGION,
      credentials: DEV,
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpAgent: agent }),
    }),
  );

/** A `kmsd hsm` management call (what the CLI sends, SigV4-signed) over `agent`. */
async function hsmCall(agent: Agent, operation: string, input: Record<string, string>): Promise<Answer> {
  const body = JSON.stringify(input);
  const headers = await signedHeaders(server.url, `KmsdHsmManagement.${operation}`, body, { service: 'cloudhsm' });
  return call(agent, 'POST', '/', input, headers);
}

/** Retries `check` until it passes (bounded: 20 s), for what a worker completes on its next background tick. */
async function eventually<T>(check: () => Promise<T>): Promise<T> {
  const start = performance.now();
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (performance.now() - start > 20_000) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

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

  it('locks an HSM user out after exactly 5 failed logins spread over both workers', async () => {
    const { clusterId } = await createKeyStoreCluster(endpoint, 'kmsuserPswd1');
    const [a, b] = await twoWorkers();
    const login = (agent: Agent, Password: string) =>
      hsmCall(agent, 'Login', { ClusterId: clusterId, Username: 'kmsuser', Role: 'crypto-user', Password });
    // Four wrong passwords on each worker, the two workers at once.
    const answers = (
      await Promise.all(
        [a, b].map(async (w) => {
          const out: Answer[] = [];
          for (let i = 0; i < 4; i++) out.push(await login(w.agent, 'wrong-password'));
          return out;
        }),
      )
    ).flat();
    const invalid = "Invalid password for crypto-user 'kmsuser'; ";
    const locked = "User 'kmsuser' is locked out after 5 failed logins; an admin must change its password to unlock it.";
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(400));
    expect(answers.map((r) => r.body.__type)).toEqual(Array(8).fill('CloudHsmAccessDeniedException'));
    expect(answers.map((r) => r.body.Message).sort()).toEqual(
      [
        ...[4, 3, 2, 1].map((n) => `${invalid}${n} more failed login(s) will lock the user out.`),
        `${invalid}the user is now locked out.`,
        locked,
        locked,
        locked,
      ].sort(),
    );
    // Locked on both workers, even with the right password.
    for (const w of [a, b]) {
      const right = await login(w.agent, 'kmsuserPswd1');
      expect(right.status).toBe(400);
      expect(right.body.Message).toBe(locked);
      expect((await call(w.agent, 'GET', '/health')).body.pid).toBe(w.pid);
    }
  }, 120_000);

  it('serves on one worker a custom key store connected through the other, and disconnects it on both', async () => {
    const cluster = await createKeyStoreCluster(endpoint, 'kmsuserPswd1');
    const [a, b] = await twoWorkers();
    const [kmsA, kmsB] = [pinnedKms(a.agent), pinnedKms(b.agent)];
    const { CustomKeyStoreId } = await kmsA.send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: 'workers-store',
        CloudHsmClusterId: cluster.clusterId,
        TrustAnchorCertificate: cluster.trustAnchor,
        KeyStorePassword: 'kmsuserPswd1',
      }),
    );
    await kmsA.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId }));
    // A worker completes the connect on a background tick; then each logs in on its next one (1 s).
    await eventually(async () =>
      expect((await kmsB.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId }))).CustomKeyStores?.[0].ConnectionState).toBe(
        'CONNECTED',
      ),
    );
    const { KeyMetadata } = await eventually(() => kmsB.send(new CreateKeyCommand({ CustomKeyStoreId, Origin: 'AWS_CLOUDHSM' })));
    const KeyId = KeyMetadata?.KeyId;
    for (const [from, to, name] of [
      [kmsA, kmsB, 'a'],
      [kmsB, kmsA, 'b'],
    ] as const) {
      const enc = await eventually(() => from.send(new EncryptCommand({ KeyId, Plaintext: Buffer.from(`from ${name}`) })));
      expect(enc.KeyId).toBe(KeyMetadata?.Arn);
      const dec = await to.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
      expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe(`from ${name}`);
    }

    await kmsA.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId }));
    // Refused at once on both (the store row says DISCONNECTING), as documented.
    for (const client of [kmsA, kmsB]) {
      await expect(client.send(new EncryptCommand({ KeyId, Plaintext: Buffer.from('x') }))).rejects.toMatchObject({
        name: 'KMSInvalidStateException',
        $metadata: { httpStatusCode: 400 },
      });
    }
    await eventually(async () =>
      expect((await kmsA.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId }))).CustomKeyStores?.[0].ConnectionState).toBe(
        'DISCONNECTED',
      ),
    );
    // Each worker logs out on its next tick: kmsuser ends with no session on the cluster.
    await eventually(async () => {
      const users = await hsmCall(b.agent, 'ListUsers', { ClusterId: cluster.clusterId, AdminPassword: ADMIN_PASSWORD });
      expect(users.body).toMatchObject({ Users: [{}, { Username: 'kmsuser', LoggedIn: false }] });
    });
    for (const w of [a, b]) expect((await call(w.agent, 'GET', '/health')).body.pid).toBe(w.pid);
    expect(server.output()).not.toContain('"level":"error"');
  }, 120_000);

  it('deletes a key whose waiting period ended once, while both workers sweep', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'due for deletion' }));
    const keyId = KeyMetadata?.KeyId ?? '';
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    // Workers refuse --test-hooks (each would move its own clock), so the seven days are passed
    // in the database file instead: the stored deletion date is moved to a second ago.
    const store = new SqliteStore(join(dir, 'data', 'kmsd.sqlite'));
    const scope = { account: DEV.accountId, region: REGION };
    try {
      await store.transaction(async () => {
        const row = await keyTable(store).get(scope, keyId);
        if (!row) throw new Error('the key row is missing');
        row.deletionDate = Date.now() - 1000;
        await keyTable(store).put(scope, keyId, row, { due: dueOf(row) });
      });
      // No request names the key meanwhile: only the workers' sweepers can delete it.
      await eventually(async () => expect(await keyTable(store).get(scope, keyId)).toBeUndefined());
    } finally {
      await store.close();
    }
    for (let i = 0; i < 2; i++) {
      await expect(kms.send(new DescribeKeyCommand({ KeyId: keyId }))).rejects.toMatchObject({
        name: 'NotFoundException',
        $metadata: { httpStatusCode: 400 },
      });
    }
    const deletions = server
      .output()
      .split('\n')
      .filter((line) => line.includes('key deleted at the end of its waiting period') && line.includes(KeyMetadata?.Arn ?? '-'));
    expect(deletions).toHaveLength(1);
    expect(server.output()).not.toContain('"level":"error"');
  });

  it('replaces a worker killed with SIGKILL and keeps answering', async () => {
    const before = new Set<number>();
    for (let i = 0; i < 6 && before.size < 2; i++) before.add((await call(fresh(), 'GET', '/health')).body.pid as number);
    expect(before.size).toBe(2);
    const [victim, survivor] = [...before];
    const { KeyMetadata: key } = await kms.send(new CreateKeyCommand({ Description: 'used as a worker dies' }));
    // Stopped, the victim takes no connection the primary hands it: of four requests sent now,
    // the survivor answers three and the fourth waits in the handoff to the victim, the moment
    // a worker that crashes or is killed under load can die in.
    process.kill(victim, 'SIGSTOP');
    // Default retries, as an application has: a request whose connection ends unanswered is sent again.
    const retrying = track(
      new KMSClient({
        endpoint: server.url,
        region: REGION,
        credentials: DEV,
        requestHandler: new NodeHttpHandler({ httpAgent: fresh() }),
      }),
    );
    let answered4 = 0;
    const sent = Array.from({ length: 4 }, (_, i) =>
      retrying.send(new EncryptCommand({ KeyId: key?.KeyId, Plaintext: Buffer.from(`as a worker dies ${i}`) })).finally(() => answered4++),
    );
    for (let i = 0; i < 200 && answered4 < 3; i++) await new Promise((r) => setTimeout(r, 100));
    expect(answered4).toBe(3);
    process.kill(victim, 'SIGKILL');
    // The primary closes the connection the victim never took; the SDK retries it on the survivor.
    const hung = new Promise<never>((_, reject) => {
      const timer = setTimeout(() => reject(new Error('a request handed to the killed worker got no answer in 30 s')), 30_000);
      void Promise.allSettled(sent).then(() => clearTimeout(timer));
    });
    for (const result of await Promise.race([Promise.all(sent), hung])) expect(result.KeyId).toBe(key?.Arn);
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
