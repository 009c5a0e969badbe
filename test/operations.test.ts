/**
 * What an operator watches: GET /health and /ready, GET /metrics (Prometheus text format,
 * only with the metrics option), and the JSON-line log, which must hold no secret even at
 * debug level after a run full of passwords and plaintexts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisconnectCustomKeyStoreCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  ListKeysCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { defaultConfig } from '../src/config.js';
import { createLogger } from '../src/server/logger.js';
import { DEV, REGION, rawRequest, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { ADMIN_PASSWORD, createKeyStoreCluster } from './helpers/cluster.js';
import { expectError } from './helpers/errors.js';
import { runKmsd, serve, stopAllProcesses } from './helpers/kmsd-process.js';

const INTERNAL = 'The request was rejected because of an internal exception. Please try again.';

/** A pino destination that keeps every line written to it. */
function logCapture(): { lines: string[]; write(line: string): void } {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

describe('metrics and a log without secrets', () => {
  const ROOT_KEY = randomBytes(32).toString('base64');
  const KMSUSER_PASSWORD = `kmsPw-${randomBytes(6).toString('hex')}`;
  const PLAINTEXT = `plaintext-${randomBytes(12).toString('hex')}`;
  const log = logCapture();
  let t: TestKmsd;
  let dataKey = '';
  let signature = '';
  let customKeyStoreId: string | undefined;
  let hsmKey: string | undefined;

  beforeAll(async () => {
    t = await startKmsd({
      metrics: true,
      rootKey: ROOT_KEY,
      log: createLogger('debug', log),
      keyStoreTransitionMs: 0,
      config: { ...defaultConfig(), cloudhsm: { transitionMs: 0 } },
    });
    const kms = t.kms();
    // Passwords on the wire: the HSM admin's and kmsuser's (management API), kmsuser's again in CreateCustomKeyStore.
    const cluster = await createKeyStoreCluster(t, KMSUSER_PASSWORD);
    const { CustomKeyStoreId } = await kms.send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: 'metrics',
        CloudHsmClusterId: cluster.clusterId,
        TrustAnchorCertificate: cluster.trustAnchor,
        KeyStorePassword: KMSUSER_PASSWORD,
      }),
    );
    customKeyStoreId = CustomKeyStoreId;
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId }));
    await t.advanceClock(0);
    const local = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    hsmKey = (await kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId }))).KeyMetadata?.KeyId;
    const disabled = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    await kms.send(new DisableKeyCommand({ KeyId: disabled }));
    for (const KeyId of [local, hsmKey, local]) {
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId, Plaintext: Buffer.from(PLAINTEXT) }));
      expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob }))).Plaintext ?? []).toString()).toBe(PLAINTEXT);
    }
    const generated = await kms.send(new GenerateDataKeyCommand({ KeyId: local, KeySpec: 'AES_256' }));
    dataKey = Buffer.from(generated.Plaintext ?? []).toString('base64');
    await expectError(
      kms.send(new DescribeKeyCommand({ KeyId: 'alias/none' })),
      'NotFoundException',
      400,
      `Alias arn:aws:kms:us-east-1:111122223333:alias/none is not found.`,
    );
    // A request whose operation does not exist, and one signed with a wrong secret: the
    // operation's name must not become a label, the Authorization header must not be logged.
    expect((await rawRequest(t.url, { target: 'TrentService.MadeUp' })).status).toBe(400);
    const badlySigned = await fetchSigned(t.url, PLAINTEXT);
    signature = badlySigned.signature;
    expect(badlySigned.status).toBe(400);
  }, 120_000);
  afterAll(async () => {
    await t.close();
  });

  it('counts requests and latency per operation, errors by type, keys and key stores by state', async () => {
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const sample = (name: string) => Number(new RegExp(`^${escape(name)} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(sample('kmsd_requests_total{service="kms",operation="Encrypt",status="200"}')).toBe(3);
    expect(sample('kmsd_requests_total{service="kms",operation="Decrypt",status="200"}')).toBe(3);
    expect(sample('kmsd_requests_total{service="kms",operation="CreateKey",status="200"}')).toBe(3);
    expect(sample('kmsd_requests_total{service="kms",operation="Encrypt",status="400"}')).toBe(1);
    // The badly signed Encrypt counts too: 3 + 1.
    expect(sample('kmsd_request_duration_seconds_count{service="kms",operation="Encrypt"}')).toBe(4);
    expect(sample('kmsd_request_duration_seconds_sum{service="kms",operation="Encrypt"}')).toBeGreaterThan(0);
    expect(sample('kmsd_request_errors_total{service="kms",operation="DescribeKey",type="NotFoundException"}')).toBe(1);
    expect(sample('kmsd_request_errors_total{service="kms",operation="Encrypt",type="IncompleteSignatureException"}')).toBe(1);
    expect(sample('kmsd_request_errors_total{service="unknown",operation="unknown",type="UnknownOperationException"}')).toBe(1);
    expect(text).not.toContain('MadeUp');
    expect(sample('kmsd_keys{state="Enabled"}')).toBe(2);
    expect(sample('kmsd_keys{state="Disabled"}')).toBe(1);
    expect(sample('kmsd_keys{state="PendingDeletion"}')).toBe(0);
    expect(sample('kmsd_custom_key_stores{state="CONNECTED"}')).toBe(1);
    expect(sample('kmsd_custom_key_stores{state="DISCONNECTED"}')).toBe(0);
    expect(sample('kmsd_store_up')).toBe(1);
    // prom-client's process metrics come along.
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('counts keys by state as DescribeKey reports it, read again by the scrape after each change', async () => {
    const kms = t.kms();
    const keys = async () => {
      const text = await (await fetch(`${t.url}/metrics`)).text();
      const gauges = [...text.matchAll(/^kmsd_(keys|custom_key_stores)\{state="(\w+)"\} (\d+)$/gm)].filter((m) => m[3] !== '0');
      return Object.fromEntries(gauges.map((m) => [`${m[1]} ${m[2]}`, Number(m[3])]));
    };
    expect(await keys()).toEqual({ 'keys Enabled': 2, 'keys Disabled': 1, 'custom_key_stores CONNECTED': 1 });
    const doomed = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed, PendingWindowInDays: 7 }));
    const doomedHsmKey = (await kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: customKeyStoreId }))).KeyMetadata
      ?.KeyId;
    expect(await keys()).toEqual({ 'keys Enabled': 3, 'keys Disabled': 1, 'keys PendingDeletion': 1, 'custom_key_stores CONNECTED': 1 });
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomedHsmKey, PendingWindowInDays: 7 }));
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: customKeyStoreId }));
    await t.advanceClock(0);
    // The key in the disconnected store is Unavailable; the one pending deletion stays so.
    expect((await kms.send(new DescribeKeyCommand({ KeyId: hsmKey }))).KeyMetadata?.KeyState).toBe('Unavailable');
    expect(await keys()).toEqual({
      'keys Enabled': 1,
      'keys Disabled': 1,
      'keys PendingDeletion': 2,
      'keys Unavailable': 1,
      'custom_key_stores DISCONNECTED': 1,
    });
  });

  it('writes JSON lines with a line per request at debug level, and no password, plaintext, key or signature', () => {
    expect(log.lines.length).toBeGreaterThan(10);
    const entries = log.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const encrypts = entries.filter((e) => e.msg === 'request' && e.operation === 'Encrypt' && e.status === 200);
    expect(encrypts).toHaveLength(3);
    expect(encrypts[0]).toMatchObject({ level: 'debug', service: 'kms', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(typeof encrypts[0].time).toBe('string');
    const everything = log.lines.join('');
    const secrets = {
      ADMIN_PASSWORD,
      KMSUSER_PASSWORD,
      PLAINTEXT,
      plaintextBase64: Buffer.from(PLAINTEXT).toString('base64'),
      dataKey,
      ROOT_KEY,
      signature,
    };
    for (const [name, secret] of Object.entries(secrets)) {
      expect(secret.length, name).toBeGreaterThan(8);
      expect(everything.includes(secret), name).toBe(false);
    }
  });

  it('redacts secret-named fields that reach the logger anyway', () => {
    const lines = logCapture();
    const logTo = createLogger('info', lines);
    logTo({ level: 'info', msg: 'x', password: 'pw-1', input: { Plaintext: 'pt-1', KeyId: 'k' }, authorization: 'sig-1' });
    const entry = JSON.parse(lines.lines[0]) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'info', msg: 'x', password: '[Redacted]', authorization: '[Redacted]' });
    expect(entry.input).toEqual({ Plaintext: '[Redacted]', KeyId: 'k' });
  });
});

describe('readiness and a store that fails', () => {
  const log = logCapture();
  let t: TestKmsd;
  beforeAll(async () => {
    t = await startKmsd({ log: createLogger('info', log) });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers /health and /ready with 200 while the store works', async () => {
    const health = await fetch(`${t.url}/health`);
    // The pid names the answering process (several workers share one port).
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok', pid: process.pid }]);
    const ready = await fetch(`${t.url}/ready`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('serves no /metrics unless enabled', async () => {
    const res = await rawRequest(t.url, { method: 'GET', path: '/metrics', sign: false });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ __type: 'UnknownOperationException', message: 'No route for GET /metrics' });
  });

  it('answers KMSInternalException (500) and /ready 503 once the store is gone, and stays up', async () => {
    const kms = t.kms();
    await kms.send(new CreateKeyCommand({}));
    await t.kmsd.store.close();
    await expectError(kms.send(new CreateKeyCommand({})), 'KMSInternalException', 500, INTERNAL);
    await expectError(kms.send(new ListKeysCommand({})), 'KMSInternalException', 500, INTERNAL);
    const ready = await fetch(`${t.url}/ready`);
    expect([ready.status, await ready.json()]).toEqual([503, { status: 'store unavailable' }]);
    // Still answering: the process did not crash.
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
    const failures = log.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.msg === 'request failed');
    expect(failures.map((e) => e.operation)).toEqual(['CreateKey', 'ListKeys']);
    expect(failures[0]).toMatchObject({ level: 'error', service: 'kms', err: { message: 'The database connection is not open' } });
  });
});

describe('kmsd serve --metrics --log-level', () => {
  afterAll(() => stopAllProcesses());

  it('serves /metrics and writes a JSON line per request on stderr at debug level', async () => {
    const k = await serve(['--port', '0', '--in-memory', '--metrics', '--log-level', 'debug']);
    const kms = new KMSClient({ endpoint: k.url, region: REGION, credentials: DEV, maxAttempts: 1 });
    try {
      await kms.send(new CreateKeyCommand({}));
      const text = await (await fetch(`${k.url}/metrics`)).text();
      expect(text).toContain('kmsd_requests_total{service="kms",operation="CreateKey",status="200"} 1');
      const requests = k
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((e) => e.msg === 'request');
      expect(requests).toMatchObject([{ level: 'debug', service: 'kms', operation: 'CreateKey', status: 200 }]);
    } finally {
      kms.destroy();
      expect(await k.stop()).toBe(0);
    }
  });

  it('refuses an unknown log level as a usage error', async () => {
    const r = await runKmsd(['serve', '--port', '0', '--in-memory'], { KMSD_LOG_LEVEL: 'loud' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid log level loud; use one of debug, info, warn, error, silent');
  });
});

/** A KMS Encrypt signed with a wrong signature; returns the status and the signature sent. */
async function fetchSigned(url: string, plaintext: string): Promise<{ status: number; signature: string }> {
  const signature = randomBytes(32).toString('hex');
  const now = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'TrentService.Encrypt',
      'x-amz-date': now,
      authorization: `AWS4-HMAC-SHA256 Credential=test/${now.slice(0, 8)}/us-east-1/kms/aws4_request, Signature=${signature}`,
    },
    body: JSON.stringify({ KeyId: 'alias/x', Plaintext: Buffer.from(plaintext).toString('base64') }),
  });
  await res.text();
  return { status: res.status, signature };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
