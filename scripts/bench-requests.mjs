// Processes, SigV4-signed requests, the bench's IAM-user case and its CloudHSM key store, shared by `npm run bench`
// (bench.mjs), the CPU profile driver (profile.mjs) and the instruction counter
// (count-instructions.mjs).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import {
  CloudHSMV2Client,
  CreateClusterCommand,
  CreateHsmCommand,
  DescribeClustersCommand,
  InitializeClusterCommand,
} from '@aws-sdk/client-cloudhsm-v2';
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DescribeCustomKeyStoresCommand,
  KMSClient,
} from '@aws-sdk/client-kms';
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

/**
 * The key a driver (count-instructions.mjs, profile.mjs) sends its requests with: a new
 * AWS_KMS-origin key, or one in a CloudHSM custom key store; the reference has no keys and
 * ignores KeyId.
 */
export async function benchKeyId(url, { reference = false, customKeyStore = false } = {}) {
  if (reference) return 'alias/reference';
  if (customKeyStore) return (await customKeyStoreKey(url)).keyId;
  return (await call(url, 'CreateKey', {})).KeyMetadata.KeyId;
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

// ---------------------------------------------------------------------------------------
// A CloudHSM key store, set up as a customer would (test/helpers/cluster.ts does the same
// for the tests): CloudHSM V2 API, openssl for the customer CA, `kmsd hsm` for the CloudHSM
// CLI steps, then the KMS API. The bench's CKS rows and count-instructions.mjs /
// profile.mjs --custom-key-store use it.

export const run = promisify(execFile);
const ADMIN_PASSWORD = 'adminPswd1';
/** A crypto user of the bench's cluster that the HSM-login row logs in as (set up with the key store). */
export const LOGIN_USER = { Username: 'benchlogin', Role: 'crypto-user', Password: 'loginPswd1' };
/** Reads until `done`, polling like a user would; bounded. */
export async function until(what, read, done, timeoutMs = 60_000) {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/**
 * An ACTIVE two-HSM cluster with kmsuser (and LOGIN_USER), a connected key store on it, and a
 * key there: resolves with the key's id and the cluster's id.
 */
export async function customKeyStoreKey(url) {
  const clientConfig = { endpoint: url, region: 'us-east-1', credentials: CREDENTIALS };
  const hsm = new CloudHSMV2Client(clientConfig);
  const kms = new KMSClient(clientConfig);
  const dir = mkdtempSync(join(tmpdir(), 'kmsd-bench-ca-'));
  try {
    const { Cluster } = await hsm.send(
      new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'] }),
    );
    const ClusterId = Cluster.ClusterId;
    const describe = async () => (await hsm.send(new DescribeClustersCommand({ Filters: { clusterIds: [ClusterId] } }))).Clusters[0];
    // HSMs can be added once the cluster is created: a server slowed down (under valgrind,
    // count-instructions.mjs) may answer CreateCluster's next request before then.
    await until('the cluster', describe, (c) => c.State !== 'CREATE_IN_PROGRESS');
    for (const AvailabilityZone of ['us-east-1a', 'us-east-1b']) await hsm.send(new CreateHsmCommand({ ClusterId, AvailabilityZone }));
    const uninitialized = await until(
      'the cluster and its HSMs',
      describe,
      (c) => c.State === 'UNINITIALIZED' && c.Hsms.every((h) => h.State === 'ACTIVE'),
    );

    // The customer CA (trust anchor) signs the cluster's CSR.
    const openssl = (args) => run('openssl', args.split(' '), { cwd: dir });
    writeFileSync(join(dir, 'cluster.csr'), uninitialized.Certificates.ClusterCsr);
    await openssl('req -x509 -newkey rsa:2048 -nodes -keyout ca.key -subj /CN=customerCA -days 3650 -out ca.crt');
    await openssl('x509 -req -in cluster.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -out cluster.crt');
    const TrustAnchor = readFileSync(join(dir, 'ca.crt'), 'utf8');
    await hsm.send(new InitializeClusterCommand({ ClusterId, SignedCert: readFileSync(join(dir, 'cluster.crt'), 'utf8'), TrustAnchor }));
    await until('INITIALIZED', describe, (c) => c.State === 'INITIALIZED');

    // Passwords through the environment (--password-env), as the README recommends.
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      BENCH_ADMIN_PASSWORD: ADMIN_PASSWORD,
      BENCH_KMSUSER_PASSWORD: 'kmsPswd1',
      BENCH_LOGIN_PASSWORD: LOGIN_USER.Password,
    };
    const hsmCli = (args) =>
      run(process.execPath, [join(ROOT, 'bin/kmsd.js'), 'hsm', ...args, '--cluster-id', ClusterId, '--endpoint-url', url], { env });
    await hsmCli('cluster activate --password-env BENCH_ADMIN_PASSWORD'.split(' '));
    await hsmCli(
      'user create --admin-password-env BENCH_ADMIN_PASSWORD --username kmsuser --role crypto-user --password-env BENCH_KMSUSER_PASSWORD'.split(
        ' ',
      ),
    );
    await hsmCli(
      `user create --admin-password-env BENCH_ADMIN_PASSWORD --username ${LOGIN_USER.Username} --role crypto-user --password-env BENCH_LOGIN_PASSWORD`.split(
        ' ',
      ),
    );
    await until('ACTIVE', describe, (c) => c.State === 'ACTIVE');

    const { CustomKeyStoreId } = await kms.send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: 'bench',
        CloudHsmClusterId: ClusterId,
        TrustAnchorCertificate: TrustAnchor,
        KeyStorePassword: 'kmsPswd1',
      }),
    );
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId }));
    const store = await until(
      'the key store to connect',
      async () => (await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId }))).CustomKeyStores[0],
      (ks) => ks.ConnectionState === 'CONNECTED' || ks.ConnectionState === 'FAILED',
    );
    if (store.ConnectionState !== 'CONNECTED') throw new Error(`key store FAILED to connect: ${store.ConnectionErrorCode}`);
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ CustomKeyStoreId, Origin: 'AWS_CLOUDHSM' }));
    return { keyId: KeyMetadata.KeyId, clusterId: ClusterId };
  } finally {
    hsm.destroy();
    kms.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
