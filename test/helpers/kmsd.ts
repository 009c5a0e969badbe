/**
 * Starts a real kmsd on a free port for a test file, and gives clients for it: the AWS SDK,
 * raw SigV4-signed requests (for what an SDK will not send), and /usr/bin/aws.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KMSClient } from '@aws-sdk/client-kms';
import { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { createKmsd } from '../../src/server.js';
import { passwordCost } from '../../src/cloudhsm/hsm/passwords.js';
import { TEST_HSM_PASSWORD_COST_LOG2 } from './kmsd-process.js';
import type { Kmsd, KmsdOptions } from '../../src/server.js';

export const DEV = { accessKeyId: 'test', secretAccessKey: 'test', accountId: '111122223333' };
export const REGION = 'us-east-1';
/** The HSM password cost of test servers (see kmsd-process.ts baseEnv), for HSM modules a test makes. */
export const TEST_HSM_PASSWORD_COST = passwordCost(TEST_HSM_PASSWORD_COST_LOG2);

export interface ClientOptions {
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** For temporary (STS) credentials. */
  sessionToken?: string;
}

export interface TestKmsd {
  url: string;
  kmsd: Kmsd;
  kms(options?: ClientOptions): KMSClient;
  cloudhsm(options?: ClientOptions): CloudHSMV2Client;
  /** The service clock as the tests moved it (sign raw requests with it). */
  serviceNow(): Date;
  /** Moves the service clock forward and runs due background work. */
  advanceClock(seconds: number): Promise<void>;
  close(): Promise<void>;
  dataDir?: string;
}

export async function startKmsd(options: KmsdOptions & { persistent?: boolean } = {}): Promise<TestKmsd> {
  const dataDir = options.persistent ? (options.dataDir ?? mkdtempSync(join(tmpdir(), 'kmsd-test-'))) : undefined;
  const kmsd = createKmsd({
    port: 0,
    inMemory: !options.persistent,
    testHooks: true,
    log: () => undefined,
    hsmPasswordCost: TEST_HSM_PASSWORD_COST_LOG2,
    ...options,
    dataDir,
  });
  const url = await kmsd.listen();
  // The SDKs sign with their own clock; once the service clock moved, they must follow it.
  const clients: { destroy(): void; config: { systemClockOffset?: number } }[] = [];
  let clockOffsetMs = 0;
  const clientConfig = (o: ClientOptions) => ({
    endpoint: url,
    region: o.region ?? REGION,
    credentials: {
      accessKeyId: o.accessKeyId ?? DEV.accessKeyId,
      secretAccessKey: o.secretAccessKey ?? DEV.secretAccessKey,
      sessionToken: o.sessionToken,
    },
    maxAttempts: 1,
    systemClockOffset: clockOffsetMs,
  });
  return {
    url,
    kmsd,
    dataDir,
    kms(o = {}) {
      const client = new KMSClient(clientConfig(o));
      clients.push(client);
      return client;
    },
    cloudhsm(o = {}) {
      const client = new CloudHSMV2Client(clientConfig(o));
      clients.push(client);
      return client;
    },
    serviceNow() {
      return new Date(Date.now() + clockOffsetMs);
    },
    async advanceClock(seconds: number) {
      const res = await fetch(`${url}/_kmsd/test/clock`, {
        method: 'POST',
        headers: { 'x-kmsd-test-token': kmsd.testHooksToken ?? '' },
        body: JSON.stringify({ advanceSeconds: seconds }),
      });
      if (res.status !== 200) throw new Error(`clock advance failed: ${res.status}`);
      clockOffsetMs += seconds * 1000;
      for (const c of clients) c.config.systemClockOffset = clockOffsetMs;
    },
    async close() {
      for (const c of clients) c.destroy();
      await kmsd.close();
    },
  };
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export interface RawRequestOptions {
  target?: string;
  body?: string | Buffer;
  contentType?: string;
  /** false: send no Authorization header at all */
  sign?: boolean;
  service?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  signingDate?: Date;
  /** Headers to leave out of SignedHeaders (sent anyway). */
  unsignedHeaders?: string[];
  extraHeaders?: Record<string, string>;
  method?: string;
  path?: string;
  /** Sent instead of `body` after signing `body` (a body altered in transit). */
  sendBody?: string;
  /** Aborts the request (e.g. `AbortSignal.timeout(ms)`: a server that hangs fails the test). */
  signal?: AbortSignal;
}

/** A request built and signed by hand with @smithy/signature-v4. */
export async function rawRequest(url: string, o: RawRequestOptions): Promise<RawResponse> {
  const u = new URL(url);
  const body = o.body ?? '{}';
  const headers: Record<string, string> = {
    host: u.host,
    'content-type': o.contentType ?? 'application/x-amz-json-1.1',
    ...(o.target !== undefined ? { 'x-amz-target': o.target } : {}),
    ...o.extraHeaders,
  };
  let request = new HttpRequest({
    method: o.method ?? 'POST',
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: o.path ?? '/',
    headers,
    body,
  });
  if (o.sign !== false) {
    const signer = new SignatureV4({
      credentials: {
        accessKeyId: o.accessKeyId ?? DEV.accessKeyId,
        secretAccessKey: o.secretAccessKey ?? DEV.secretAccessKey,
        sessionToken: o.sessionToken,
      },
      region: o.region ?? REGION,
      service: o.service ?? 'kms',
      sha256: Hash.bind(null, 'sha256'),
    });
    request = (await signer.sign(request, {
      signingDate: o.signingDate ?? new Date(),
      unsignableHeaders: new Set(o.unsignedHeaders ?? []),
    })) as HttpRequest;
  }
  const res = await fetch(`${u.origin}${request.path}`, {
    method: request.method,
    headers: Object.fromEntries(Object.entries(request.headers).filter(([k]) => k !== 'host')),
    body: request.method === 'GET' ? undefined : (o.sendBody ?? (typeof body === 'string' ? body : new Uint8Array(body))),
    signal: o.signal,
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

const execFileP = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json?: unknown;
}

/** Runs Debian's AWS CLI v2 (/usr/bin/aws) against kmsd. */
export async function awsCli(url: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileP('/usr/bin/aws', [...args, '--endpoint-url', url, '--output', 'json'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        AWS_ACCESS_KEY_ID: DEV.accessKeyId,
        AWS_SECRET_ACCESS_KEY: DEV.secretAccessKey,
        AWS_DEFAULT_REGION: REGION,
        AWS_PAGER: '',
        AWS_MAX_ATTEMPTS: '1',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        ...env,
      },
    });
    let json: unknown;
    try {
      json = stdout.trim() ? JSON.parse(stdout) : undefined;
    } catch {
      json = undefined;
    }
    return { code: 0, stdout, stderr, json };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Headers of a request signed with the dev credentials (for KMS unless `service` says), for sending with any client. */
export async function signedHeaders(
  url: string,
  target: string,
  body: string,
  o: { applyChecksum?: boolean; headers?: Record<string, string>; service?: string } = {},
): Promise<Record<string, string>> {
  const u = new URL(url);
  const signer = new SignatureV4({
    credentials: { accessKeyId: DEV.accessKeyId, secretAccessKey: DEV.secretAccessKey },
    region: REGION,
    service: o.service ?? 'kms',
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: o.applyChecksum ?? true,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: u.protocol,
      hostname: u.hostname,
      port: Number(u.port),
      path: '/',
      headers: { host: u.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target, ...o.headers },
      body,
    }),
  );
  return signed.headers;
}
