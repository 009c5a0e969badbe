/**
 * Crashes under load. A CreateKey + Encrypt load runs over many connections through the JS
 * SDK while a kmsd process is killed with SIGKILL (no shutdown code runs), or while the
 * PostgreSQL server under it goes away. What every request answered with 200 must still
 * hold afterwards: each created key exists, each ciphertext decrypts to its plaintext.
 * Requests that got no answer may or may not have happened. Requests answered with an error
 * get exactly KMSInternalException (the store failed), never anything else, and nothing hangs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { exited, serve, stopAllProcesses } from './helpers/kmsd-process.js';
import type { Running } from './helpers/kmsd-process.js';
import { startPostgres } from './helpers/postgres.js';
import type { TestPostgres } from './helpers/postgres.js';
import { DEV, REGION } from './helpers/kmsd.js';

const INTERNAL = 'The request was rejected because of an internal exception. Please try again.';
/** Requests in flight at once. */
const CONCURRENCY = 16;
/** Bounds each load, whatever happens to the servers. */
const LOAD_MS = 60_000;

const clients: KMSClient[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of clients) c.destroy();
  stopAllProcesses();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function client(node: Running): KMSClient {
  const c = new KMSClient({ endpoint: node.url, region: REGION, credentials: DEV, maxAttempts: 1 });
  clients.push(c);
  return c;
}

interface Answered {
  keyIds: string[];
  ciphertexts: { blob: Uint8Array; plaintext: string }[];
  /** Errors that came with an HTTP answer, as `status __type: message`. */
  errors: string[];
  /** Requests that got no answer (the connection broke or was refused). */
  unanswered: number;
}

/**
 * CreateKey then Encrypt with the new key, over and over, round-robin across `targets`,
 * until `done` says so (or LOAD_MS). Records only what was answered.
 */
async function load(targets: () => KMSClient[], done: (a: Answered) => boolean): Promise<Answered> {
  const a: Answered = { keyIds: [], ciphertexts: [], errors: [], unanswered: 0 };
  const end = Date.now() + LOAD_MS;
  let n = 0;
  const record = (err: unknown) => {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    if (e.$metadata?.httpStatusCode) a.errors.push(`${e.$metadata.httpStatusCode} ${e.name}: ${e.message}`);
    else a.unanswered++;
  };
  const worker = async () => {
    while (!done(a) && Date.now() < end) {
      const list = targets();
      const kms = list[n++ % list.length];
      try {
        const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
        const KeyId = KeyMetadata?.KeyId ?? '';
        a.keyIds.push(KeyId);
        const plaintext = `secret ${n}`;
        const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId, Plaintext: Buffer.from(plaintext) }));
        a.ciphertexts.push({ blob: CiphertextBlob ?? new Uint8Array(), plaintext });
      } catch (err) {
        record(err);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return a;
}

/** Every answered key exists and every answered ciphertext decrypts, asked round-robin of `readers`. */
async function expectAllKept(a: Answered, readers: KMSClient[]): Promise<void> {
  let i = 0;
  const missing: string[] = [];
  for (const KeyId of a.keyIds) {
    const { KeyMetadata } = await readers[i++ % readers.length]
      .send(new DescribeKeyCommand({ KeyId }))
      .catch(() => ({ KeyMetadata: undefined }));
    if (KeyMetadata?.KeyState !== 'Enabled') missing.push(KeyId);
  }
  expect(missing).toEqual([]);
  const wrong: string[] = [];
  for (const c of a.ciphertexts) {
    const { Plaintext } = await readers[i++ % readers.length].send(new DecryptCommand({ CiphertextBlob: c.blob }));
    if (Buffer.from(Plaintext ?? []).toString() !== c.plaintext) wrong.push(c.plaintext);
  }
  expect(wrong).toEqual([]);
}

describe('kill -9 of a single SQLite kmsd under load', () => {
  it('keeps every key and ciphertext it answered with 200 across the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmsd-crash-'));
    dirs.push(dir);
    const args = ['--port', '0', '--data-dir', join(dir, 'data')];
    const first = await serve(args);
    const kms = client(first);
    let killedAt = -1;
    const answered = await load(
      () => [kms],
      (a) => {
        // Killed in the middle of the load, with requests in flight on every connection.
        if (killedAt < 0 && a.keyIds.length >= 60) {
          killedAt = a.keyIds.length;
          first.proc.kill('SIGKILL');
        }
        return killedAt >= 0;
      },
    );
    await exited(first.proc);
    expect(first.proc.signalCode).toBe('SIGKILL');
    expect(answered.errors).toEqual([]);
    expect(answered.ciphertexts.length).toBeGreaterThanOrEqual(30);

    const second = await serve(args);
    await expectAllKept(answered, [client(second)]);
    // And it goes on serving on the same data directory.
    const { KeyMetadata } = await client(second).send(new CreateKeyCommand({ Description: 'after the crash' }));
    expect(KeyMetadata?.Description).toBe('after the crash');
    await second.stop();
  });
});

describe('kmsd nodes on PostgreSQL', () => {
  let postgres: TestPostgres | undefined;
  afterAll(() => postgres?.stop());
  const rootKey = randomBytes(32).toString('base64');

  it('kill -9 of one of 3 nodes under load: the other two serve on and keep all that was answered', async () => {
    postgres = startPostgres();
    const url = await postgres.createDatabase();
    const nodes = await Promise.all([0, 1, 2].map(() => serve(['--port', '0', '--store', url], { KMSD_ROOT_KEY: rootKey })));
    const all = nodes.map(client);
    const survivors = all.slice(1);
    let killedAt = -1;
    const answered = await load(
      // After the kill the load goes on, to the surviving nodes only (as a load balancer would).
      () => (killedAt < 0 ? all : survivors),
      (a) => {
        if (killedAt < 0 && a.keyIds.length >= 60) {
          killedAt = a.keyIds.length;
          nodes[0].proc.kill('SIGKILL');
        }
        return killedAt >= 0 && a.keyIds.length >= killedAt + 30;
      },
    );
    await exited(nodes[0].proc);
    expect(answered.errors).toEqual([]);
    expect(answered.keyIds.length).toBeGreaterThanOrEqual(killedAt + 30);
    await expectAllKept(answered, survivors);
    await Promise.all(nodes.slice(1).map((n) => n.stop()));
  });

  it('the database server going away under load: KMSInternalException, not ready, then serving again without a restart', async () => {
    postgres ??= startPostgres();
    const url = await postgres.createDatabase();
    const node = await serve(['--port', '0', '--store', url], { KMSD_ROOT_KEY: rootKey });
    const kms = client(node);
    const ready = async () => (await fetch(`${node.url}/ready`)).status;
    expect(await ready()).toBe(200);

    let down = false;
    const pg = postgres;
    const answered = await load(
      () => [kms],
      (a) => {
        if (!down && a.keyIds.length >= 30) {
          down = true;
          pg.kill();
        }
        return down && a.errors.length >= 20;
      },
    );
    // Every failure during the outage is the store's: a clean 500 KMSInternalException.
    expect(answered.errors.length).toBeGreaterThanOrEqual(20);
    expect(new Set(answered.errors)).toEqual(new Set([`500 KMSInternalException: ${INTERNAL}`]));
    expect(answered.unanswered).toBe(0);
    expect(await ready()).toBe(503);
    expect(node.proc.exitCode).toBeNull();

    postgres.restart();
    // The pool replaces its dead connections on the next requests; no restart of kmsd.
    for (let i = 0; i < 50 && (await ready()) !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await ready()).toBe(200);
    const after = await load(
      () => [kms],
      (a) => a.keyIds.length >= 20,
    );
    expect(after.errors).toEqual([]);
    await expectAllKept({ ...answered, errors: [] }, [kms]);
    await expectAllKept(after, [kms]);
    await node.stop();
  });
});
