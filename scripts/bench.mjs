#!/usr/bin/env node
// `npm run bench`: kmsd's throughput and latency against a minimal reference server
// (scripts/bench-reference.mjs), plus CreateKey rate, memory and start-up time at 100,000
// keys, Encrypt with a key in a CloudHSM custom key store and with an external key store key
// through `kmsd xks-proxy` on a SoftHSM2 token (skipped without softhsm2), Encrypt and
// CreateKey with 1, 2 and `auto` workers (kmsd serve --workers) on one SQLite file, and with
// 1 and 2 kmsd nodes on one PostgreSQL database (a throwaway PostgreSQL 15 server,
// scripts/bench-postgres.mjs; skipped without Debian's postgresql-15). Plain Node, no
// dependencies beyond kmsd's own and its dev dependencies (the AWS SDK clients, for the key
// store setup); needs `openssl`. About 12 minutes with BENCH_KEYS=20000; filling takes about
// a minute more per 100,000 keys (CreateKey's rate on SQLite, which no longer falls as keys grow).
//
// Every request is SigV4-signed (signed once per request shape and replayed, so the client
// spends its CPU on sending, not signing; the servers verify every request in full) and sent
// over 50 keep-alive connections by autocannon in a process of its own (bench-load.mjs).
//
// Encrypt, Decrypt and GenerateDataKey, the rows compared with the reference, are measured in
// BENCH_ROUNDS (default 12) alternated rounds of BENCH_ROUND_SECONDS (default 2) on the three
// servers (alternatedRows).
//
// Environment: BENCH_SECONDS (per measurement of the other rows, default 5), BENCH_KEYS (default 100000),
// BENCH_MILLION=1 (1,000,000 keys instead), BENCH_ONLY=workers (only the --workers rows),
// BENCH_ONLY=nodes (only the PostgreSQL nodes rows), BENCH_ONLY=crypto (only the Encrypt,
// Decrypt and GenerateDataKey rows: reference, kmsd in-memory, kmsd SQLite), BENCH_ONLY=cks (Encrypt
// with a CloudHSM key store key against the reference, alternated), BENCH_ONLY=iam (Encrypt by the
// IAM user against Encrypt by the root, alternated) or BENCH_ONLY=signing
// (only Encrypt on kmsd in-memory, unloaded and while RSA_4096 DIGEST signatures are made), for
// a quick check of those rows.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  agent,
  BENCH_USER,
  call,
  children,
  CONNECTIONS,
  CREDENTIALS,
  cpuMs,
  customKeyStoreKey,
  kmsdArgs,
  LOGIN_USER,
  treeCpuMs,
  load,
  prepareIamUserEncrypt,
  ROOT,
  rssMb,
  run,
  SECONDS,
  send,
  signed,
  start,
  stop,
  until,
  writeBenchConfig,
} from './bench-requests.mjs';
import { startPostgres } from './bench-postgres.mjs';

// BENCH_MILLION=1: the 1,000,000-key row (the fill takes about 10 minutes, every commit durable).
// Each row is measured after this much of the same load, for every server alike. V8 keeps
// optimizing kmsd's larger code for ~9,000 requests (--trace-opt: 414 optimizations in the
// first 3,000, none after ~9,000), so a 1 s warm-up counted that one-time cost against kmsd.
const WARM_UP_SECONDS = 3;
const KEYS = process.env.BENCH_MILLION === '1' ? 1_000_000 : Number(process.env.BENCH_KEYS ?? 100_000);
/** The load generator's busy share of one core above which it, not the server, may set the pace. */
const CLIENT_BOUND_SHARE = 0.9;
const PLAINTEXT = Buffer.alloc(1024, 7).toString('base64');
const TARGETS = {
  customKeyStoreRps: 1800,
  customKeyStoreRatio: 0.5,
  iamEncryptRatio: 0.9,
  encryptRatio: 0.7,
  p99Ms: 10,
  createKeyPerSec: 1000,
  rssMb: 200,
  startupMs: 1000,
};

/** The cluster of the CKS row's key store, whose LOGIN_USER the HSM-login row logs in as. */
let loginCluster;
/** The CKS row's key, measured again against the reference in alternated rounds (customKeyStoreAgainstReference). */
let customKeyStoreKeyId;

// ---------------------------------------------------------------------------------------
// An external key store: `kmsd xks-proxy` over TLS (a CA made with openssl, trusted by kmsd
// through its config) with keys in a SoftHSM2 token made in a temporary directory.

const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const XKS_ENDPOINT = 'https://xks.bench.test';

/** Starts the proxy; resolves with what kmsd's config and the case need, or { skipped }. */
async function startXksProxyForBench() {
  if (!existsSync(SOFTHSM_MODULE)) return { skipped: `softhsm2 is not installed (${SOFTHSM_MODULE})` };
  const dir = mkdtempSync(join(tmpdir(), 'kmsd-bench-xks-'));
  const env = { ...process.env, SOFTHSM2_CONF: join(dir, 'softhsm2.conf'), KMSD_XKS_PIN: 'bench-pin' };
  writeFileSync(env.SOFTHSM2_CONF, `directories.tokendir = ${dir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const sh = (cmd, args) => run(cmd, args, { cwd: dir, env });
  await sh('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--pin', 'bench-pin', '--so-pin', 'bench-so-pin']);
  await sh(process.execPath, [join(ROOT, 'bin/kmsd.js'), 'xks-proxy', 'create-key', '--label', 'bench-key', '--token-label', 'bench']);
  await sh('openssl', 'req -x509 -newkey rsa:2048 -nodes -keyout ca.key -subj /CN=bench-xks-ca -days 30 -out ca.crt'.split(' '));
  await sh(
    'openssl',
    'req -x509 -CA ca.crt -CAkey ca.key -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout proxy.key -out proxy.crt -subj /CN=xks.bench.test -addext subjectAltName=DNS:xks.bench.test -days 30'.split(
      ' ',
    ),
  );
  // A credential in the spec's alphabet (kmsd xks-proxy new-credential makes the same).
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const credential = {
    accessKeyId: Array.from(randomBytes(24), (b) => alphabet[b % 32]).join(''),
    secretAccessKey: randomBytes(32).toString('base64'),
  };
  writeFileSync(join(dir, 'credentials.json'), JSON.stringify([credential]), { mode: 0o600 });
  const args = ['xks-proxy', '--port', '0', '--tls-cert', 'proxy.crt', '--tls-key', 'proxy.key', '--token-label', 'bench'];
  args.push('--credentials-file', 'credentials.json', '--log-level', 'warn');
  const proc = spawn(process.execPath, [join(ROOT, 'bin/kmsd.js'), ...args], { cwd: dir, env });
  children.add(proc);
  const url = await new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`kmsd xks-proxy did not start:\n${out}`)), 60_000);
    proc.stderr.on('data', (d) => (out += d));
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (https:\/\/[^/\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    proc.once('exit', (code) => rej(new Error(`kmsd xks-proxy exited (${code}):\n${out}`)));
  });
  return {
    proc,
    credential,
    kmsdConfig: { caFile: join(dir, 'ca.crt'), endpoints: { [XKS_ENDPOINT]: url } },
    async stop() {
      await stop({ proc });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A connected external key store on the bench proxy and a key whose XksKeyId is the token key. */
async function externalKeyStoreKey(url, xks) {
  if (xks.skipped) throw new Error(xks.skipped);
  const { CustomKeyStoreId } = await call(url, 'CreateCustomKeyStore', {
    CustomKeyStoreName: 'bench-xks',
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    XksProxyConnectivity: 'PUBLIC_ENDPOINT',
    XksProxyUriEndpoint: XKS_ENDPOINT,
    XksProxyUriPath: '/kms/xks/v1',
    XksProxyAuthenticationCredential: { AccessKeyId: xks.credential.accessKeyId, RawSecretAccessKey: xks.credential.secretAccessKey },
  });
  await call(url, 'ConnectCustomKeyStore', { CustomKeyStoreId });
  const store = await until(
    'the external key store to connect',
    async () => (await call(url, 'DescribeCustomKeyStores', { CustomKeyStoreId })).CustomKeyStores[0],
    (ks) => ks.ConnectionState === 'CONNECTED' || ks.ConnectionState === 'FAILED',
  );
  if (store.ConnectionState !== 'CONNECTED') throw new Error(`external key store FAILED to connect: ${store.ConnectionErrorCode}`);
  const { KeyMetadata } = await call(url, 'CreateKey', { CustomKeyStoreId, Origin: 'EXTERNAL_KEY_STORE', XksKeyId: 'bench-key' });
  return KeyMetadata.KeyId;
}

/**
 * A background client for the loaded rows: runs `step` back to back until the returned function
 * is called, which resolves with `summary()` once the step in progress has finished.
 */
function backgroundLoop(step, summary) {
  let stopping = false;
  const loop = (async () => {
    while (!stopping) await step();
  })();
  return async () => {
    stopping = true;
    await loop;
    return summary();
  };
}

/** The loaded row of MessageType DIGEST signatures (its name, for the row and the verdict). */
const DIGEST_SIGNING = 'Encrypt (DIGEST sign)';

// ---------------------------------------------------------------------------------------
// Cases: each prepares one request shape against a running server (or returns null when
// that server cannot do it, e.g. an operation a kmsd build does not implement yet).

const CASES = [
  {
    name: 'Encrypt 1 KiB',
    async prepare(url, keyId) {
      return signed(url, 'Encrypt', { KeyId: keyId, Plaintext: PLAINTEXT });
    },
  },
  {
    name: 'Decrypt 1 KiB',
    async prepare(url, keyId) {
      const { CiphertextBlob } = await call(url, 'Encrypt', { KeyId: keyId, Plaintext: PLAINTEXT });
      return signed(url, 'Decrypt', { CiphertextBlob });
    },
  },
  {
    name: 'GenerateDataKey',
    async prepare(url, keyId) {
      await call(url, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' });
      return signed(url, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' });
    },
  },
  {
    // Encrypt by an IAM user under a key policy with conditions, plus a grant for the user:
    // the authorization path that is not the root's one-comparison shortcut.
    name: 'Encrypt 1 KiB (IAM user)',
    kmsdInMemoryOnly: true,
    async prepare(url) {
      return signed(url, 'Encrypt', await prepareIamUserEncrypt(url, PLAINTEXT), BENCH_USER);
    },
  },
  {
    // No request stuck behind another: the same Encrypt while another client creates RSA_4096
    // key pairs back to back (each takes a core for a while; it must not hold up the rest).
    name: 'Encrypt (RSA keygen)',
    kmsdInMemoryOnly: true,
    async prepare(url, keyId) {
      return signed(url, 'Encrypt', { KeyId: keyId, Plaintext: PLAINTEXT });
    },
    async background(url) {
      const create = await signed(url, 'CreateKey', { KeySpec: 'RSA_4096', KeyUsage: 'SIGN_VERIFY' });
      let created = 0;
      return backgroundLoop(
        async () => {
          if ((await send(create)).status === 200) created++;
        },
        () => `${created} RSA_4096 keys created meanwhile`,
      );
    },
  },
  {
    // No request stuck behind another: the same Encrypt while another client signs with an
    // RSA_4096 key and MessageType DIGEST back to back. That signature is a raw RSA private-key
    // operation (milliseconds of CPU) that node:crypto offers only synchronously, so kmsd runs it
    // in a worker thread (src/kms/crypto-offload.ts); on the event loop it would hold up the rest.
    name: DIGEST_SIGNING,
    kmsdInMemoryOnly: true,
    async prepare(url, keyId) {
      return signed(url, 'Encrypt', { KeyId: keyId, Plaintext: PLAINTEXT });
    },
    async background(url) {
      const { KeyMetadata } = await call(url, 'CreateKey', { KeySpec: 'RSA_4096', KeyUsage: 'SIGN_VERIFY' });
      const sign = await signed(url, 'Sign', {
        KeyId: KeyMetadata.KeyId,
        Message: createHash('sha256').update('bench').digest('base64'),
        MessageType: 'DIGEST',
        SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
      });
      let made = 0;
      let unexpected;
      return backgroundLoop(
        async () => {
          const r = await send(sign);
          if (r.status === 200) made++;
          else unexpected ??= `${r.status} ${r.body.slice(0, 200)}`;
        },
        () => `${made} RSA_4096 DIGEST signatures made meanwhile${unexpected ? ` (unexpected answer: ${unexpected})` : ''}`,
      );
    },
  },
  {
    // The AWS quota for a CloudHSM key store is 1,800 cryptographic requests per second; its
    // ratio is to Encrypt with the AWS_KMS-origin key in the same run (the cost of the store).
    name: 'Encrypt 1 KiB (CKS)',
    kmsdInMemoryOnly: true,
    async prepare(url) {
      const { keyId, clusterId } = await customKeyStoreKey(url);
      loginCluster = clusterId;
      customKeyStoreKeyId = keyId;
      return signed(url, 'Encrypt', { KeyId: keyId, Plaintext: PLAINTEXT });
    },
  },
  {
    // No request stuck behind another: the same Encrypt while another client logs into an HSM
    // of the key store's cluster with wrong passwords (each check is a deliberately slow scrypt).
    // Four wrong passwords, then the right one and a logout, so the user never locks out and
    // every attempt pays the scrypt.
    name: 'Encrypt (HSM logins)',
    kmsdInMemoryOnly: true,
    async prepare(url, keyId) {
      if (!loginCluster) throw new Error('needs the cluster of the custom key store row');
      return signed(url, 'Encrypt', { KeyId: keyId, Plaintext: PLAINTEXT });
    },
    async background(url) {
      const attempt = (operation, Password) =>
        signed(url, `KmsdHsmManagement.${operation}`, { ClusterId: loginCluster, ...LOGIN_USER, Password }, CREDENTIALS, 'cloudhsm');
      const wrong = await attempt('Login', 'wrongPswd1');
      const cycle = [wrong, wrong, wrong, wrong, await attempt('Login', LOGIN_USER.Password), await attempt('Logout', LOGIN_USER.Password)];
      let refused = 0;
      let unexpected;
      return backgroundLoop(
        async () => {
          for (const [i, request] of cycle.entries()) {
            const r = await send(request);
            if (i < 4 && r.status === 400) refused++;
            else if (r.status !== 200) unexpected ??= `${r.status} ${r.body.slice(0, 200)}`;
          }
        },
        () => `${refused} wrong-password logins meanwhile${unexpected ? ` (unexpected answer: ${unexpected})` : ''}`,
      );
    },
  },
  {
    // Each Encrypt is also an HTTPS call to kmsd xks-proxy, which encrypts in SoftHSM2
    // (double encryption); the ratio is to Encrypt with the AWS_KMS-origin key.
    name: 'Encrypt 1 KiB (XKS)',
    kmsdInMemoryOnly: true,
    async prepare(url, _keyId, xks) {
      return signed(url, 'Encrypt', { KeyId: await externalKeyStoreKey(url, xks), Plaintext: PLAINTEXT });
    },
  },
];

/** One request at a time, 20 times: what a single caller waits for a page, without queueing. */
async function pageLatency(request) {
  const times = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const r = await send(request);
    times.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`page request failed: ${r.status} ${r.body.slice(0, 200)}`);
  }
  times.sort((a, b) => a - b);
  return { median: times[10], max: times[19] };
}

/** Measurements per server of each alternated row (ROUNDS of them, the median reported). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
/** Length of each of those measurements: short, so that many rounds fit in the same time. */
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 2);

/**
 * Issue 10's rows (Encrypt, Decrypt, GenerateDataKey) on several running servers: each case is
 * prepared and warmed up on every server, then measured ROUNDS times, the servers taking turns
 * (reference, kmsd in-memory, kmsd SQLite, reference, ...), and the reference once more at the
 * end. Taking turns spreads the drift of a shared machine (other load, CPU frequency) over every
 * server alike, where one row after the other gave each server a different machine: three runs
 * of the same code once gave GenerateDataKey at 0.51 to 0.80 of the reference.
 *
 * The drift is fast: the same server, measured 3 s at a time, moved between 3,800 and 8,200
 * req/s within a minute. So the rounds are short (ROUND_SECONDS) and many, and a kmsd
 * measurement is compared with the reference interpolated between the reference measurements
 * just before and just after it (weighted by its place in the round), which cancels a drift
 * that is steady over the round; the median of the rounds' ratios is reported.
 *
 * Each server's reported row is its median round by req/s; `ratios` holds each round's ratio,
 * the first server being the reference. A server entry's own `prepare` replaces the case's (to
 * alternate two requests on one server).
 */
async function alternatedRows(servers, cases) {
  const results = servers.map(() => ({}));
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  for (const c of cases) {
    const requests = await Promise.all(servers.map(({ server, keyId, prepare }) => (prepare ?? c.prepare)(server.url, keyId)));
    for (const s of requests) await load(s, WARM_UP_SECONDS);
    const rounds = servers.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, { server }] of servers.entries()) rounds[i].push(await load(requests[i], ROUND_SECONDS, server.proc.pid));
    }
    const closing = await load(requests[0], ROUND_SECONDS, servers[0].server.proc.pid);
    const referenceAt = (round, place) => {
      const before = rounds[0][round].rps;
      const after = (rounds[0][round + 1] ?? closing).rps;
      return before + ((after - before) * place) / servers.length;
    };
    for (const [i, runs] of rounds.entries()) {
      const middle = median(runs.map((r) => r.rps));
      results[i][c.name] = {
        ...runs.find((r) => r.rps === middle),
        errors: runs.reduce((sum, r) => sum + r.errors, 0) + (i === 0 ? closing.errors : 0),
        firstError: runs.find((r) => r.firstError)?.firstError,
        ratios: runs.map((r, round) => r.rps / referenceAt(round, i)),
      };
      results[i][c.name].ratio = median(results[i][c.name].ratios);
    }
  }
  return results;
}

async function runCases({ url, proc }, keyId, kmsdInMemory = false, xks = { skipped: 'no XKS proxy' }, cases = CASES) {
  const results = {};
  for (const c of cases) {
    if (c.kmsdInMemoryOnly && !kmsdInMemory) {
      results[c.name] = { skipped: 'measured on kmsd in-memory only', quiet: true };
      continue;
    }
    let s;
    try {
      s = await c.prepare(url, keyId, xks);
    } catch (err) {
      results[c.name] = { skipped: err.message };
      continue;
    }
    await load(s, WARM_UP_SECONDS);
    const stopBackground = c.background ? await c.background(url) : undefined;
    results[c.name] = await load(s, SECONDS, proc.pid);
    if (stopBackground) results[c.name].background = await stopBackground();
  }
  return results;
}

// ---------------------------------------------------------------------------------------

const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const verdict = (ok) => (ok ? 'ok' : 'MISSED');

/** One table row per case and server, with kmsd's ratios to the reference (req/s, CPU per request). */
function printCaseRows(cases, refResults, memResults, sqlResults) {
  console.log(
    'Operation            server            req/s    p50 ms   p99 ms p99.9 ms  CPU µs/req  client CPU  kmsd/reference (req/s, CPU)',
  );
  for (const c of cases) {
    const ref = refResults[c.name];
    for (const [label, r] of [
      ['reference', ref],
      ['kmsd in-memory', memResults[c.name]],
      ['kmsd sqlite', sqlResults[c.name]],
    ]) {
      if (r.quiet) continue;
      if (r.skipped) {
        console.log(`${c.name.padEnd(20)} ${label.padEnd(16)} skipped: ${r.skipped}`);
        continue;
      }
      const ratio =
        label === 'reference' || !ref || ref.skipped
          ? ''
          : r.ratios
            ? `${fmt(r.ratio, 2)}, ${fmt(ref.cpuUsPerRequest / r.cpuUsPerRequest, 2)} (rounds: ${r.ratios.map((x) => fmt(x, 2)).join(' ')})`
            : `${fmt(r.rps / ref.rps, 2)}, ${fmt(ref.cpuUsPerRequest / r.cpuUsPerRequest, 2)}`;
      const errors = r.errors > 0 ? `  (${r.errors} errors, first: ${r.firstError})` : '';
      console.log(
        `${c.name.padEnd(20)} ${label.padEnd(16)} ${fmt(r.rps).padStart(7)} ${fmt(r.p50, 2).padStart(9)} ${fmt(r.p99, 2).padStart(8)} ${fmt(r.p999, 2).padStart(8)} ${fmt(r.cpuUsPerRequest).padStart(11)} ${`${fmt(r.clientCpuShare * 100)}%`.padStart(11)}  ${ratio}${errors}`,
      );
    }
  }
}

/** The DIGEST signing row's verdict: Encrypt p99 under that load <= 3 x the unloaded p99, no errors. */
function printDigestSigningVerdict(results) {
  const enc = results['Encrypt 1 KiB'];
  const row = results[DIGEST_SIGNING];
  if (row.skipped) console.log(`  Encrypt while RSA_4096 DIGEST signatures are made: skipped: ${row.skipped}`);
  else {
    console.log(
      `  Encrypt p99 while another client makes RSA_4096 DIGEST signatures <= 3 x unloaded p99: ${fmt(row.p99, 2)} ms vs ${fmt(enc.p99, 2)} ms (${fmt(row.p99 / enc.p99, 2)} x; ${row.background}) ${verdict(row.p99 <= 3 * enc.p99 && row.errors === 0)}`,
    );
  }
}

/** BENCH_ONLY=signing: Encrypt on kmsd in-memory, unloaded and while RSA_4096 DIGEST signatures are made. */
async function signingRows() {
  const memory = await start(kmsdArgs(['--in-memory']), 'kmsd --in-memory');
  try {
    const keyId = (await call(memory.url, 'CreateKey', {})).KeyMetadata.KeyId;
    const cases = CASES.filter((c) => ['Encrypt 1 KiB', DIGEST_SIGNING].includes(c.name));
    const results = await runCases(memory, keyId, true, undefined, cases);
    const none = Object.fromEntries(cases.map((c) => [c.name, { skipped: 'kmsd only', quiet: true }]));
    printCaseRows(cases, none, results, none);
    console.log('\nTargets');
    printDigestSigningVerdict(results);
  } finally {
    await stop(memory);
  }
}

/**
 * Issue 10's target for a CloudHSM key store key is half the reference's Encrypt. Measured one
 * after the other, the two figures come from different moments of a shared machine (the CPU
 * time of one request here moved from 170 to 300 µs between two runs a minute apart); so, like
 * the crypto rows, the reference's Encrypt and kmsd's Encrypt under `keyId` take turns for
 * ROUNDS rounds and the ratio is the median of the rounds' ratios.
 */
async function customKeyStoreAgainstReference(reference, memory, keyId) {
  const encrypt = CASES.filter((c) => c.name === 'Encrypt 1 KiB');
  const [ref, kmsd] = await alternatedRows(
    [
      { server: reference, keyId: 'reference-key' },
      { server: memory, keyId },
    ],
    encrypt,
  );
  return { reference: ref['Encrypt 1 KiB'], kmsd: kmsd['Encrypt 1 KiB'] };
}

function printCustomKeyStoreVerdict({ reference, kmsd }) {
  console.log(
    `  Encrypt with a custom key store (CloudHSM) key >= ${TARGETS.customKeyStoreRatio} x reference (alternated rounds): ${fmt(kmsd.rps)} vs ${fmt(reference.rps)} req/s, ${fmt(kmsd.ratio, 2)} (rounds: ${kmsd.ratios.map((r) => fmt(r, 2)).join(' ')}), p99 ${fmt(kmsd.p99, 2)} ms, ${fmt(kmsd.cpuUsPerRequest)} vs ${fmt(reference.cpuUsPerRequest)} CPU µs/req ${verdict(kmsd.ratio >= TARGETS.customKeyStoreRatio && kmsd.errors === 0)}`,
  );
}

/**
 * Issue 8's target: Encrypt by an IAM user (a key policy with conditions, a grant) at 0.9 of
 * Encrypt by the account's root, on the same server. The two take turns, as the crypto rows do.
 */
async function iamUserAgainstRoot(memory, keyId) {
  const iamCase = CASES.find((c) => c.name === 'Encrypt 1 KiB (IAM user)');
  const [root, iam] = await alternatedRows(
    [
      { server: memory, keyId },
      { server: memory, keyId, prepare: iamCase.prepare },
    ],
    CASES.filter((c) => c.name === 'Encrypt 1 KiB'),
  );
  return { root: root['Encrypt 1 KiB'], iam: iam['Encrypt 1 KiB'] };
}

/** BENCH_ONLY=iam: Encrypt by the bench's IAM user against Encrypt by the root, alternated. */
async function iamRows() {
  const configDir = mkdtempSync(join(tmpdir(), 'kmsd-bench-config-'));
  let memory;
  try {
    writeBenchConfig(join(configDir, 'config.json'));
    memory = await start(kmsdArgs(['--in-memory', '--config', join(configDir, 'config.json')]), 'kmsd --in-memory');
    const keyId = (await call(memory.url, 'CreateKey', {})).KeyMetadata.KeyId;
    const { root, iam } = await iamUserAgainstRoot(memory, keyId);
    console.log('Targets');
    console.log(
      `  Encrypt by an IAM user >= ${TARGETS.iamEncryptRatio} x Encrypt by the root (alternated rounds): ${fmt(iam.rps)} vs ${fmt(root.rps)} req/s, ${fmt(iam.ratio, 2)} (rounds: ${iam.ratios.map((r) => fmt(r, 2)).join(' ')}) ${verdict(iam.ratio >= TARGETS.iamEncryptRatio && iam.errors === 0)} (CPU µs/req ${fmt(iam.cpuUsPerRequest)} vs ${fmt(root.cpuUsPerRequest)})`,
    );
  } finally {
    if (memory) await stop(memory);
    rmSync(configDir, { recursive: true, force: true });
  }
}

/** BENCH_ONLY=cks: a CloudHSM key store key's Encrypt against the reference, alternated. */
async function customKeyStoreRows() {
  const configDir = mkdtempSync(join(tmpdir(), 'kmsd-bench-config-'));
  const servers = [];
  try {
    writeBenchConfig(join(configDir, 'config.json'), { cloudhsm: { transitionMs: 0 } });
    servers.push(await start([join(ROOT, 'scripts/bench-reference.mjs')], 'reference'));
    servers.push(await start(kmsdArgs(['--in-memory', '--config', join(configDir, 'config.json')]), 'kmsd --in-memory'));
    const { keyId } = await customKeyStoreKey(servers[1].url);
    console.log('Targets');
    printCustomKeyStoreVerdict(await customKeyStoreAgainstReference(servers[0], servers[1], keyId));
  } finally {
    await Promise.all(servers.map(stop));
    rmSync(configDir, { recursive: true, force: true });
  }
}

/** The three rows issue 10 compares with the reference, measured in alternated rounds. */
const CRYPTO_CASES = CASES.filter((c) => ['Encrypt 1 KiB', 'Decrypt 1 KiB', 'GenerateDataKey'].includes(c.name));

/** BENCH_ONLY=crypto: issue 10's rows alone, Encrypt, Decrypt and GenerateDataKey on the reference and both kmsd stores. */
async function cryptoRows() {
  const dataDir = mkdtempSync(join(tmpdir(), 'kmsd-bench-'));
  const servers = [];
  try {
    servers.push(await start([join(ROOT, 'scripts/bench-reference.mjs')], 'reference'));
    servers.push(await start(kmsdArgs(['--in-memory']), 'kmsd --in-memory'));
    servers.push(await start(kmsdArgs(['--data-dir', dataDir]), 'kmsd sqlite'));
    const keyIds = [
      'reference-key',
      ...(await Promise.all(servers.slice(1).map(async (s) => (await call(s.url, 'CreateKey', {})).KeyMetadata.KeyId))),
    ];
    const [refResults, memResults, sqlResults] = await alternatedRows(
      servers.map((server, i) => ({ server, keyId: keyIds[i] })),
      CRYPTO_CASES,
    );
    printCaseRows(CRYPTO_CASES, refResults, memResults, sqlResults);
  } finally {
    await Promise.all(servers.map(stop));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Encrypt and CreateKey on `kmsd serve --workers N` over one SQLite data directory, for 1, 2
 * and auto (one per CPU) workers; each row's ratio is to the single process (1 worker).
 * CPU µs/req counts the primary and all its workers.
 */
async function workerRows() {
  const results = [];
  for (const workers of ['1', '2', 'auto']) {
    const dir = mkdtempSync(join(tmpdir(), 'kmsd-bench-workers-'));
    try {
      const server = await start(kmsdArgs(['--data-dir', dir, '--workers', workers]), `kmsd --workers ${workers}`);
      const measure = async (s) => {
        const cpu0 = treeCpuMs(server.proc.pid);
        const r = await load(s, SECONDS);
        return { ...r, cpuUsPerRequest: ((treeCpuMs(server.proc.pid) - cpu0) * 1000) / r.count };
      };
      const keyId = (await call(server.url, 'CreateKey', {})).KeyMetadata.KeyId;
      const encrypt = await signed(server.url, 'Encrypt', { KeyId: keyId, Plaintext: PLAINTEXT });
      await load(encrypt, 1); // warm-up
      const row = { label: workers === 'auto' ? `auto (${availableParallelism()})` : workers };
      row.Encrypt = await measure(encrypt);
      row.CreateKey = await measure(await signed(server.url, 'CreateKey', {}));
      results.push(row);
      await stop(server);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  printScalingRows('Workers on one SQLite file (kmsd serve --workers)', 'workers', '1 worker', results);
}

/**
 * Encrypt and CreateKey rows, one per server set-up in `results` ({ label, Encrypt, CreateKey },
 * or { label, skipped }), each with its req/s ratio to the first.
 */
function printScalingRows(title, column, baseline, results) {
  console.log(`\n${title}`);
  console.log(
    `Operation   ${column.padEnd(10)} ${'req/s'.padStart(8)}    p50 ms   p99 ms  CPU µs/req  client CPU  ratio to ${baseline} (req/s)`,
  );
  for (const op of ['Encrypt', 'CreateKey']) {
    for (const row of results) {
      if (row.skipped) {
        console.log(`${op.padEnd(11)} ${row.label.padEnd(10)} skipped: ${row.skipped}`);
        continue;
      }
      const r = row[op];
      const errors = r.errors > 0 ? `  (${r.errors} errors, first: ${r.firstError})` : '';
      console.log(
        `${op.padEnd(11)} ${row.label.padEnd(10)} ${fmt(r.rps).padStart(8)} ${fmt(r.p50, 2).padStart(9)} ${fmt(r.p99, 2).padStart(8)} ${fmt(r.cpuUsPerRequest).padStart(11)} ${`${fmt(r.clientCpuShare * 100)}%`.padStart(11)}  ${fmt(r.rps / results[0][op].rps, 2)}${errors}`,
      );
    }
  }
}

/**
 * Encrypt and CreateKey on 1 and 2 kmsd nodes (separate `kmsd serve` processes) sharing one
 * PostgreSQL database, on a throwaway PostgreSQL server (scripts/bench-postgres.mjs); each
 * row's ratio is to 1 node. With 2 nodes the load is spread over both: one load generator per
 * node, each with half the connections, run at once. req/s is their sum; CPU µs/req is both
 * nodes' CPU over all their requests; p50/p99 and client CPU are the higher of the two
 * generators' (their latencies are not merged).
 */
async function nodeRows() {
  const title = 'kmsd nodes on one PostgreSQL database (kmsd serve --store postgres://…)';
  let postgres;
  try {
    postgres = startPostgres();
  } catch (err) {
    postgres = { skipped: err.message };
  }
  if (postgres.skipped) {
    printScalingRows(title, 'nodes', '1 node', [{ label: '1, 2', skipped: postgres.skipped }]);
    return;
  }
  // Every node needs the same root key (PostgreSQL stores never generate one).
  const keyDir = mkdtempSync(join(tmpdir(), 'kmsd-bench-nodes-'));
  const rootKeyFile = join(keyDir, 'root-key');
  writeFileSync(rootKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  const results = [];
  try {
    for (const nodes of [1, 2]) {
      const store = postgres.createDatabase(`kmsd_bench_${nodes}_nodes`);
      const servers = [];
      try {
        // One after the other: the first applies the migrations, the next finds them done.
        for (let i = 0; i < nodes; i++) {
          servers.push(await start(kmsdArgs(['--store', store, '--root-key-file', rootKeyFile]), `kmsd node ${i + 1} of ${nodes}`));
        }
        const keyId = (await call(servers[0].url, 'CreateKey', {})).KeyMetadata.KeyId;
        // The same request shape signed for each node (the Host header is signed).
        const each = (target, input) => Promise.all(servers.map((server) => signed(server.url, target, input)));
        const measure = async (requests, seconds = SECONDS) => {
          const cpu0 = servers.map((server) => cpuMs(server.proc.pid));
          const rs = await Promise.all(requests.map((s) => load(s, seconds, undefined, CONNECTIONS / nodes)));
          const cpu = servers.reduce((sum, server, i) => sum + cpuMs(server.proc.pid) - cpu0[i], 0);
          const count = rs.reduce((sum, r) => sum + r.count, 0);
          return {
            count,
            rps: rs.reduce((sum, r) => sum + r.rps, 0),
            p50: Math.max(...rs.map((r) => r.p50)),
            p99: Math.max(...rs.map((r) => r.p99)),
            errors: rs.reduce((sum, r) => sum + r.errors, 0),
            firstError: rs.find((r) => r.firstError)?.firstError,
            cpuUsPerRequest: (cpu * 1000) / count,
            clientCpuShare: Math.max(...rs.map((r) => r.clientCpuShare)),
          };
        };
        const encrypt = await each('Encrypt', { KeyId: keyId, Plaintext: PLAINTEXT });
        await measure(encrypt, 1); // warm-up
        const row = { label: String(nodes) };
        row.Encrypt = await measure(encrypt);
        row.CreateKey = await measure(await each('CreateKey', {}));
        results.push(row);
      } finally {
        await Promise.all(servers.map(stop));
      }
    }
  } finally {
    postgres.stop();
    rmSync(keyDir, { recursive: true, force: true });
  }
  printScalingRows(title, 'nodes', '1 node', results);
}

async function main() {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm ci does it) first');
  }
  // A figure is only as good as the machine was quiet: the load average says what else ran.
  console.log(
    `kmsd benchmark: ${CONNECTIONS} keep-alive connections, ${SECONDS}s per measurement, Node ${process.version}, ${availableParallelism()} CPUs, load average ${loadAverage()}\n`,
  );
  const only = process.env.BENCH_ONLY;
  if (only) {
    const rows = { workers: workerRows, nodes: nodeRows, crypto: cryptoRows, signing: signingRows, cks: customKeyStoreRows, iam: iamRows }[
      only
    ];
    if (!rows) throw new Error(`BENCH_ONLY=${only}: use workers, nodes, crypto, signing, cks or iam`);
    await rows();
    return;
  }

  // The reference serves only the rows compared with it (the others are kmsd's own).
  const reference = await start([join(ROOT, 'scripts/bench-reference.mjs')], 'reference');

  const xks = await startXksProxyForBench().catch((err) => ({ skipped: `kmsd xks-proxy: ${err.message}` }));

  // CloudHSM transitions instant, so the custom key store's setup takes no waiting.
  const configDir = mkdtempSync(join(tmpdir(), 'kmsd-bench-config-'));
  const configFile = join(configDir, 'config.json');
  writeBenchConfig(configFile, {
    cloudhsm: { transitionMs: 0 },
    ...(xks.skipped ? {} : { xksProxy: xks.kmsdConfig }),
  });
  const memory = await start(kmsdArgs(['--in-memory', '--config', configFile]), 'kmsd --in-memory');
  const memKey = (await call(memory.url, 'CreateKey', {})).KeyMetadata.KeyId;

  const dataDir = mkdtempSync(join(tmpdir(), 'kmsd-bench-'));
  // AWS's quota is 100,000 keys per account and Region; the fill goes past it, so the SQLite
  // server's configuration raises it (config.quotas), as an operator emulating a raised quota would.
  const sqliteConfig = join(dataDir, 'bench-config.json');
  writeFileSync(
    sqliteConfig,
    JSON.stringify({ accounts: [{ accountId: '111122223333', credentials: [CREDENTIALS] }], quotas: { keysPerRegion: KEYS + 100_000 } }),
  );
  const sqliteArgs = ['--data-dir', join(dataDir, 'data'), '--config', sqliteConfig];
  try {
    const sqlite = await start(kmsdArgs(sqliteArgs), 'kmsd sqlite');
    const sqlKey = (await call(sqlite.url, 'CreateKey', {})).KeyMetadata.KeyId;
    const [refResults, memCrypto, sqlResults] = await alternatedRows(
      [
        { server: reference, keyId: 'reference-key' },
        { server: memory, keyId: memKey },
        { server: sqlite, keyId: sqlKey },
      ],
      CRYPTO_CASES,
    );
    // kmsd's own rows, in-memory only: IAM user, loaded rows, custom and external key stores.
    const memResults = {
      ...memCrypto,
      ...(await runCases(
        memory,
        memKey,
        true,
        xks,
        CASES.filter((c) => !CRYPTO_CASES.includes(c)),
      )),
    };
    const cksAgainstReference = customKeyStoreKeyId && (await customKeyStoreAgainstReference(reference, memory, customKeyStoreKeyId));
    const iamAgainstRoot = memResults['Encrypt 1 KiB (IAM user)'].skipped ? undefined : await iamUserAgainstRoot(memory, memKey);
    await stop(reference);
    await stop(memory);
    await xks.stop?.();
    rmSync(configDir, { recursive: true, force: true });
    for (const c of CASES) {
      refResults[c.name] ??= { skipped: 'kmsd only', quiet: true };
      sqlResults[c.name] ??= { skipped: 'measured on kmsd in-memory only', quiet: true };
    }

    printCaseRows(CASES, refResults, memResults, sqlResults);

    // CreateKey takes no unique input: replaying one signed request creates a key each time.
    const createReq = await signed(sqlite.url, 'CreateKey', {});
    const create = await load(createReq, SECONDS, sqlite.proc.pid);
    const existing = 1 + create.count;
    console.log(
      `\nCreateKey on SQLite: ${fmt(create.rps)} keys/s, p50 ${fmt(create.p50, 2)} ms, p99 ${fmt(create.p99, 2)} ms, ${fmt(create.cpuUsPerRequest)} CPU µs/key`,
    );

    // Fill up to KEYS keys as fast as the server takes them, then measure: the same load
    // generator in rounds of at most a minute, each with a fresh signature (one is good for
    // 5 minutes, and a million keys take longer).
    const remaining = Math.max(0, KEYS - existing);
    const fillStart = performance.now();
    let filled = 0;
    while (filled < remaining) {
      const rate = filled > 0 ? filled / ((performance.now() - fillStart) / 1000) : create.rps;
      const seconds = Math.max(1, Math.min(60, Math.ceil((remaining - filled) / Math.max(rate, 1))));
      const round = await load(await signed(sqlite.url, 'CreateKey', {}), seconds);
      if (round.errors > 0) throw new Error(`CreateKey failed while filling: ${round.firstError}`);
      filled += round.count;
    }
    const fillSeconds = (performance.now() - fillStart) / 1000;
    const rss = rssMb(sqlite.proc.pid);
    const total = existing + filled;
    console.log(`Created ${total} keys in total (the last ${filled} at ${fmt(filled / fillSeconds)} keys/s)`);
    console.log(`Resident memory of kmsd with ${total} keys: ${fmt(rss)} MB`);
    const full = await load(await signed(sqlite.url, 'CreateKey', {}), SECONDS, sqlite.proc.pid);
    console.log(
      `CreateKey with ${total} keys: ${fmt(full.rps)} keys/s (${fmt(full.rps / create.rps, 2)} of the empty database's rate), p99 ${fmt(full.p99, 2)} ms`,
    );
    const pages = {};
    for (const [name, target, input] of [
      ['ListKeys', 'ListKeys', { Limit: 100 }],
      ['ListAliases', 'ListAliases', { Limit: 100 }],
    ]) {
      pages[name] = await pageLatency(await signed(sqlite.url, target, input));
      console.log(
        `${name} page of 100, one request at a time: median ${fmt(pages[name].median, 2)} ms, slowest of 20 ${fmt(pages[name].max, 2)} ms`,
      );
    }
    await stop(sqlite);

    const restarted = await start(kmsdArgs(sqliteArgs), 'kmsd restart');
    const restartRss = rssMb(restarted.proc.pid);
    const listed = await call(restarted.url, 'ListKeys', { Limit: 1 });
    // Nothing should scan every row every second: an idle kmsd's CPU over 10 s.
    const idle0 = cpuMs(restarted.proc.pid);
    await new Promise((r) => setTimeout(r, 10_000));
    const idleMs = cpuMs(restarted.proc.pid) - idle0;
    await stop(restarted);
    console.log(`Idle CPU with those keys: ${fmt(idleMs)} ms over 10 s (${fmt(idleMs / 100, 2)}% of a core)`);
    console.log(
      `Start-up with those keys: ${fmt(restarted.startupMs)} ms to "listening" (RSS after start ${fmt(restartRss)} MB; ListKeys ok: ${listed.Keys.length === 1})`,
    );

    await workerRows();
    await nodeRows();

    // A load generator that saturates makes every ratio to the reference look better than it is.
    const clientBound = Object.entries(refResults).filter(([, r]) => r.clientCpuShare > CLIENT_BOUND_SHARE);
    for (const [name, r] of clientBound) {
      console.log(
        `WARNING: the load generator used ${fmt(r.clientCpuShare * 100)}% of a core on the reference's ${name}: the reference may be client-bound, and kmsd's ratio to it flattered.`,
      );
    }

    console.log('\nTargets');
    const enc = memResults['Encrypt 1 KiB'];
    const dec = memResults['Decrypt 1 KiB'];
    // The median of the alternated rounds' ratios (alternatedRows), for each store.
    for (const name of ['Encrypt 1 KiB', 'Decrypt 1 KiB', 'GenerateDataKey']) {
      const mem = memResults[name].ratio;
      const sql = sqlResults[name].ratio;
      console.log(
        `  ${name} >= ${TARGETS.encryptRatio} x reference: in-memory ${fmt(mem, 2)}, SQLite ${fmt(sql, 2)} ${verdict(mem >= TARGETS.encryptRatio && sql >= TARGETS.encryptRatio)}`,
      );
    }
    // On a shared machine the CPU-time ratio is the steadier reading of the same target.
    const cpuRatio = (r, name) => refResults[name].cpuUsPerRequest / r.cpuUsPerRequest;
    console.log(
      `  (the same ratio by CPU time per request, reference / kmsd in-memory: Encrypt ${fmt(cpuRatio(enc, 'Encrypt 1 KiB'), 2)}, Decrypt ${fmt(cpuRatio(dec, 'Decrypt 1 KiB'), 2)}, GenerateDataKey ${fmt(cpuRatio(memResults.GenerateDataKey, 'GenerateDataKey'), 2)})`,
    );
    const p99s = ['Encrypt 1 KiB', 'Decrypt 1 KiB', 'GenerateDataKey'].flatMap((name) => [memResults[name].p99, sqlResults[name].p99]);
    console.log(
      `  Encrypt/Decrypt/GenerateDataKey p99 <= ${TARGETS.p99Ms} ms (in-memory, SQLite): ${p99s.map((p) => fmt(p, 2)).join(' / ')} ${verdict(p99s.every((p) => p <= TARGETS.p99Ms))} (the reference: ${['Encrypt 1 KiB', 'Decrypt 1 KiB', 'GenerateDataKey'].map((name) => fmt(refResults[name].p99, 2)).join(' / ')})`,
    );
    const iam = memResults['Encrypt 1 KiB (IAM user)'];
    if (iam.skipped) console.log(`  Encrypt by an IAM user: skipped: ${iam.skipped}`);
    else {
      console.log(
        `  Encrypt by an IAM user (key policy with conditions, a grant) >= ${TARGETS.iamEncryptRatio} x Encrypt by the root (alternated rounds): ${fmt(iamAgainstRoot.iam.ratio, 2)} (rounds: ${iamAgainstRoot.iam.ratios.map((r) => fmt(r, 2)).join(' ')}) ${verdict(iamAgainstRoot.iam.ratio >= TARGETS.iamEncryptRatio && iam.errors === 0 && iamAgainstRoot.iam.errors === 0)} (CPU µs/req ${fmt(iamAgainstRoot.iam.cpuUsPerRequest)} vs ${fmt(iamAgainstRoot.root.cpuUsPerRequest)})`,
      );
    }
    const keygen = memResults['Encrypt (RSA keygen)'];
    if (keygen.skipped) console.log(`  Encrypt while RSA_4096 keys are created: skipped: ${keygen.skipped}`);
    else {
      console.log(
        `  Encrypt p99 while another client creates RSA_4096 keys <= 3 x unloaded p99: ${fmt(keygen.p99, 2)} ms vs ${fmt(enc.p99, 2)} ms (${fmt(keygen.p99 / enc.p99, 2)} x; ${keygen.background}) ${verdict(keygen.p99 <= 3 * enc.p99 && keygen.errors === 0)}`,
      );
    }
    printDigestSigningVerdict(memResults);
    const logins = memResults['Encrypt (HSM logins)'];
    if (logins.skipped) console.log(`  Encrypt while HSM logins fail: skipped: ${logins.skipped}`);
    else {
      console.log(
        `  Encrypt p99 while another client logs into an HSM with wrong passwords <= 3 x unloaded p99: ${fmt(logins.p99, 2)} ms vs ${fmt(enc.p99, 2)} ms (${fmt(logins.p99 / enc.p99, 2)} x; ${logins.background}) ${verdict(logins.p99 <= 3 * enc.p99 && logins.errors === 0)}`,
      );
    }
    const cks = memResults['Encrypt 1 KiB (CKS)'];
    if (cks.skipped) console.log(`  Encrypt with a custom key store: skipped: ${cks.skipped}`);
    else {
      console.log(
        `  Encrypt with a custom key store (CloudHSM) key on kmsd in-memory: ${fmt(cks.rps)} req/s, p50 ${fmt(cks.p50, 2)} ms, p99 ${fmt(cks.p99, 2)} ms, ${fmt(cks.rps / enc.rps, 2)} x Encrypt with the AWS_KMS-origin key${cks.errors > 0 ? ` (${cks.errors} errors, first: ${cks.firstError})` : ''}`,
      );
      console.log(
        `    target >= 1,800 req/s (AWS's per-store quota): ${verdict(cks.rps >= TARGETS.customKeyStoreRps && cks.errors === 0)}`,
      );
      if (cksAgainstReference) printCustomKeyStoreVerdict(cksAgainstReference);
    }
    const xksRow = memResults['Encrypt 1 KiB (XKS)'];
    if (xksRow.skipped) console.log(`  Encrypt with an external key store: skipped: ${xksRow.skipped}`);
    else {
      console.log(
        `  Encrypt with an external key store key (kmsd xks-proxy on SoftHSM2, HTTPS) on kmsd in-memory: ${fmt(xksRow.rps)} req/s, p50 ${fmt(xksRow.p50, 2)} ms, p99 ${fmt(xksRow.p99, 2)} ms, ${fmt(xksRow.rps / enc.rps, 2)} x Encrypt with the AWS_KMS-origin key${xksRow.errors > 0 ? ` (${xksRow.errors} errors, first: ${xksRow.firstError})` : ''}`,
      );
    }
    console.log(`  CreateKey >= ${TARGETS.createKeyPerSec}/s: ${fmt(create.rps)} ${verdict(create.rps >= TARGETS.createKeyPerSec)}`);
    console.log(
      `  CreateKey with ${existing + remaining} keys >= 0.8 x empty: ${fmt(full.rps / create.rps, 2)} ${verdict(full.rps / create.rps >= 0.8)}`,
    );
    for (const [name, r] of Object.entries(pages)) {
      console.log(`  ${name} page < 50 ms with ${existing + remaining} keys: ${fmt(r.max, 2)} ms (slowest) ${verdict(r.max < 50)}`);
    }
    console.log(`  RSS <= ${TARGETS.rssMb} MB at ${existing + remaining} keys: ${fmt(rss)} ${verdict(rss <= TARGETS.rssMb)}`);
    console.log(`  Start-up <= ${TARGETS.startupMs} ms: ${fmt(restarted.startupMs)} ${verdict(restarted.startupMs <= TARGETS.startupMs)}`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    agent.destroy();
  }
}

/** The 1, 5 and 15-minute load averages. */
function loadAverage() {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

main().then(
  () => {
    console.log(`\nLoad average at the end: ${loadAverage()}`);
    process.exit(0);
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
