#!/usr/bin/env node
// Profiles kmsd under the bench's load: starts it with `node --cpu-prof`, warms up, drives one
// operation for BENCH_SECONDS (default 5) over 50 keep-alive connections (bench-load.mjs), stops
// it, and prints where its CPU went by file and by function (cpu-profile-summary.mjs).
//
//   node scripts/profile.mjs [Encrypt|Decrypt|GenerateDataKey] [--sqlite] [--reference] [--iam-user] [--custom-key-store] [--keep]
// --iam-user profiles the bench's "Encrypt 1 KiB (IAM user)" request (Encrypt only): the bench
// config's IAM user, a key policy with conditions and a grant (bench-requests.mjs).
// --custom-key-store uses a key in a CloudHSM custom key store, set up as the bench's
// "Encrypt 1 KiB (CKS)" row does (bench-requests.mjs customKeyStoreKey; needs openssl).
// --reference profiles the reference server (bench-reference.mjs) under the same load instead,
// so the two profiles can be compared function by function.
// --keep leaves the .cpuprofile file (e.g. for Chrome DevTools) and prints its path.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  agent,
  benchKeyId,
  BENCH_USER,
  call,
  kmsdArgs,
  load,
  prepareIamUserEncrypt,
  ROOT,
  SECONDS,
  signed,
  start,
  stop,
  writeBenchConfig,
} from './bench-requests.mjs';
import { printSummary, summarize } from './cpu-profile-summary.mjs';

const args = process.argv.slice(2);
const operation = args.find((a) => !a.startsWith('--')) ?? 'Encrypt';
const dir = mkdtempSync(join(tmpdir(), 'kmsd-profile-'));
const reference = args.includes('--reference');
const iamUser = args.includes('--iam-user');
if (iamUser && (reference || operation !== 'Encrypt')) throw new Error('--iam-user: kmsd Encrypt only');
const customKeyStore = args.includes('--custom-key-store');
if (customKeyStore && (reference || iamUser)) throw new Error('--custom-key-store: kmsd, root credentials only');
const storeArgs = args.includes('--sqlite') ? ['--data-dir', join(dir, 'data')] : ['--in-memory'];
if (iamUser) {
  writeBenchConfig(join(dir, 'config.json'));
  storeArgs.push('--config', join(dir, 'config.json'));
}
const plaintext = Buffer.alloc(1024, 7).toString('base64');

const profiling = ['--cpu-prof', '--cpu-prof-dir', join(dir, 'prof')];
const server = reference
  ? await start([...profiling, join(ROOT, 'scripts/bench-reference.mjs')], 'reference')
  : await start([...profiling, ...kmsdArgs(storeArgs)], 'kmsd');
const KeyId = await benchKeyId(server.url, { reference, customKeyStore });
const inputs = {
  Encrypt: async () => (iamUser ? prepareIamUserEncrypt(server.url, plaintext) : { KeyId, Plaintext: plaintext }),
  Decrypt: async () => ({ CiphertextBlob: (await call(server.url, 'Encrypt', { KeyId, Plaintext: plaintext })).CiphertextBlob }),
  GenerateDataKey: async () => ({ KeyId, KeySpec: 'AES_256' }),
};
if (!inputs[operation]) throw new Error(`unknown operation ${operation}`);
const request = await signed(server.url, operation, await inputs[operation](), iamUser ? BENCH_USER : undefined);
await load(request, 1);
const r = await load(request, SECONDS, server.proc.pid);
await stop(server);
agent.destroy();

const [file] = readdirSync(join(dir, 'prof'));
console.log(
  `${operation}${iamUser ? ' (IAM user)' : ''}${customKeyStore ? ' (CKS)' : ''}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99.toFixed(1)} ms, ${r.cpuUsPerRequest.toFixed(0)} CPU µs/req (whole run incl. warm-up in the profile)`,
);
// The profile covers start-up and the warm-up too; per-request figures divide by every request sent.
printSummary(summarize(JSON.parse(readFileSync(join(dir, 'prof', file), 'utf8')), `${ROOT}/`), 30, r.count);
if (args.includes('--keep')) console.log(`\nprofile: ${join(dir, 'prof', file)}`);
else rmSync(dir, { recursive: true, force: true });
