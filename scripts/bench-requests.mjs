// Processes, SigV4-signed requests and the bench's IAM-user case, shared by `npm run bench`
// (bench.mjs), the CPU profile driver (profile.mjs) and the instruction counter
// (count-instructions.mjs).
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';

export const ROOT = resolve(import.meta.dirname, '..');
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
export const CONNECTIONS = 50;

export const children = new Set();
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

// ---------------------------------------------------------------------------------------
// Processes

/** Spawns a server and resolves with its URL and spawn-to-"listening" time. */
export function start(args, label) {
  const t0 = performance.now();
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, KMSD_ROOT_KEY: '' } });
  children.add(proc);
  let out = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${label} did not start:\n${out}`)), 60_000);
    proc.stderr.on('data', (d) => (out += d));
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (https?:\/\/\S+)/.exec(out);
      if (m && !proc.started) {
        proc.started = true;
        clearTimeout(timer);
        res({ proc, url: m[1], startupMs: performance.now() - t0 });
      }
    });
    proc.once('exit', (code) => rej(new Error(`${label} exited (${code}):\n${out}`)));
  });
}

export function stop(server) {
  return new Promise((res) => {
    if (server.proc.exitCode !== null) return res();
    server.proc.removeAllListeners('exit');
    server.proc.once('exit', () => {
      children.delete(server.proc);
      res();
    });
    server.proc.kill('SIGTERM');
  });
}

/** User + system CPU time of a process so far, in milliseconds (Linux /proc). */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** CPU time of a process and its children (a --workers primary and its workers), in milliseconds. */
export function treeCpuMs(pid) {
  let children = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    // No children file (kernel without CONFIG_PROC_CHILDREN): the primary alone.
  }
  return cpuMs(pid) + children.reduce((sum, child) => sum + treeCpuMs(Number(child)), 0);
}

export function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export const kmsdArgs = (extra) => [join(ROOT, 'bin/kmsd.js'), 'serve', '--port', '0', ...extra];

// ---------------------------------------------------------------------------------------
// Requests

export const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });

/** A request shape signed once: target + body, replayable for the 5-minute SigV4 window. */
/** `target`: a KMS operation name, or a full X-Amz-Target (then `service` is its signing name). */
export async function signed(url, target, input, credentials = { accessKeyId: 'test', secretAccessKey: 'test' }, service = 'kms') {
  const u = new URL(url);
  const body = JSON.stringify(input);
  const signer = new SignatureV4({
    credentials,
    region: 'us-east-1',
    service,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  const req = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: u.hostname,
      port: Number(u.port),
      path: '/',
      headers: {
        host: u.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': target.includes('.') ? target : `TrentService.${target}`,
      },
      body,
    }),
  );
  return { host: u.hostname, port: u.port, headers: { ...req.headers, 'content-length': String(Buffer.byteLength(body)) }, body };
}

export function send(s) {
  return new Promise((res, rej) => {
    const req = request({ host: s.host, port: s.port, method: 'POST', path: '/', headers: s.headers, agent }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', rej);
    req.end(s.body);
  });
}

export async function call(url, target, input) {
  const r = await send(await signed(url, target, input));
  const body = JSON.parse(r.body);
  if (r.status !== 200) throw new Error(`${target}: ${r.status} ${body.__type}: ${body.message}`);
  return body;
}

/**
 * Replays the signed request `s` over CONNECTIONS keep-alive connections for `seconds`,
 * driven by scripts/bench-load.mjs (autocannon) in its own process. With `pid`, also the
 * server's CPU time per request: on a shared machine req/s depends on the neighbours, CPU
 * per request much less. `clientCpuShare` is the load generator's busy fraction of one core:
 * near 1, the client, not the server, sets the pace. `connections`: fewer, when several load
 * generators share the bench's CONNECTIONS (one per kmsd node).
 */
function withoutContentLength(headers) {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'content-length'));
}

export async function load(s, seconds = SECONDS, pid = undefined, connections = CONNECTIONS) {
  const job = {
    url: `http://${s.host}:${s.port}`,
    connections,
    seconds,
    // autocannon sets Content-Length itself; a second one would make the request malformed.
    requests: [{ method: 'POST', path: '/', headers: withoutContentLength(s.headers), body: s.body }],
  };
  const cpu0 = pid ? cpuMs(pid) : NaN;
  const out = await new Promise((res, rej) => {
    const child = execFile(process.execPath, [join(ROOT, 'scripts/bench-load.mjs')], { maxBuffer: 1 << 20 }, (err, stdout) =>
      err ? rej(err) : res(stdout),
    );
    child.stdin.end(JSON.stringify(job));
  });
  const r = JSON.parse(out);
  const cpuUsPerRequest = pid ? ((cpuMs(pid) - cpu0) * 1000) / r.count : NaN;
  return { ...r, cpuUsPerRequest, clientCpuShare: r.clientCpuMs / (r.seconds * 1000) };
}

// ---------------------------------------------------------------------------------------
// The IAM-user case (issue 8's bench case): an IAM user of the bench config whose identity
// policy allows kms:Encrypt calls Encrypt on a key whose key policy has conditions, with a
// grant for the user: the authorization path that is not the root's one-comparison shortcut.

export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const BENCH_USER = { accessKeyId: 'AKIABENCHUSER', secretAccessKey: 'bench-user-secret' };
export const BENCH_USER_ARN = 'arn:aws:iam::111122223333:user/bench';

/**
 * Writes kmsd's configuration for the bench to `file` (for `--config`): account 111122223333
 * with the `test` root key and the IAM user `bench`, plus `extra` top-level members.
 */
export function writeBenchConfig(file, extra = {}) {
  const config = {
    accounts: [
      {
        accountId: '111122223333',
        credentials: [CREDENTIALS],
        users: [
          {
            userName: 'bench',
            accessKeys: [BENCH_USER],
            policies: [
              {
                policyName: 'encrypt',
                policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' }] },
              },
            ],
          },
        ],
      },
    ],
    ...extra,
  };
  writeFileSync(file, JSON.stringify(config));
}

/**
 * On a kmsd started with writeBenchConfig: creates the key (key policy with conditions) and
 * the grant for the bench user, checks that the user may Encrypt, and resolves with the
 * Encrypt input to sign with BENCH_USER.
 */
export async function prepareIamUserEncrypt(url, plaintext) {
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' },
      {
        Effect: 'Allow',
        Principal: { AWS: BENCH_USER_ARN },
        Action: ['kms:Encrypt', 'kms:Decrypt'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:EncryptionContext:app': 'bench' }, Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });
  const { KeyId } = (await call(url, 'CreateKey', { Policy: policy })).KeyMetadata;
  await call(url, 'CreateGrant', { KeyId, GranteePrincipal: BENCH_USER_ARN, Operations: ['Decrypt'] });
  const input = { KeyId, Plaintext: plaintext, EncryptionContext: { app: 'bench' } };
  const check = await send(await signed(url, 'Encrypt', input, BENCH_USER));
  if (check.status !== 200) throw new Error(`Encrypt as the IAM user: ${check.status} ${check.body.slice(0, 200)}`);
  return input;
}
