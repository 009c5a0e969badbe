#!/usr/bin/env node
// Instructions a server executes per request, counted by valgrind's callgrind: unlike CPU time,
// the count does not move with what else the machine runs, so a change's effect shows on a
// shared machine too (issue 10). Starts kmsd (or the reference server) under callgrind, warms
// it up, zeroes the counters, sends REQUESTS requests (8 at a time, over keep-alive
// connections) and reads the count back. Slow: valgrind runs node some 50 times slower.
//
//   node scripts/count-instructions.mjs [Encrypt|Decrypt|GenerateDataKey] [--sqlite] [--reference] [--iam-user] [--custom-key-store] [--keep]
// --custom-key-store uses a key in a CloudHSM custom key store, set up as the bench's
// "Encrypt 1 KiB (CKS)" row does (bench-requests.mjs customKeyStoreKey; needs openssl).
// --iam-user sends the bench's "Encrypt 1 KiB (IAM user)" request instead (Encrypt only): the
// bench config's IAM user, a key policy with conditions and a grant (bench-requests.mjs).
// --keep leaves the callgrind file (for callgrind_annotate: native code by function, JIT code
// unnamed) and prints its path.
// Environment: COUNT_REQUESTS (default 2000), COUNT_WARMUP (default 4000). Needs valgrind.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  agent,
  benchKeyId,
  BENCH_USER,
  call,
  children,
  kmsdArgs,
  prepareIamUserEncrypt,
  ROOT,
  send,
  signed,
  writeBenchConfig,
} from './bench-requests.mjs';

const args = process.argv.slice(2);
const operation = args.find((a) => !a.startsWith('--')) ?? 'Encrypt';
const reference = args.includes('--reference');
const iamUser = args.includes('--iam-user');
if (iamUser && (reference || operation !== 'Encrypt')) throw new Error('--iam-user: kmsd Encrypt only');
const customKeyStore = args.includes('--custom-key-store');
if (customKeyStore && (reference || iamUser)) throw new Error('--custom-key-store: kmsd, root credentials only');
const REQUESTS = Number(process.env.COUNT_REQUESTS ?? 2000);
const WARMUP = Number(process.env.COUNT_WARMUP ?? 4000);
const IN_FLIGHT = 8;
const dir = mkdtempSync(join(tmpdir(), 'kmsd-count-'));
const plaintext = Buffer.alloc(1024, 7).toString('base64');

const configArgs = [];
if (iamUser) {
  writeBenchConfig(join(dir, 'config.json'));
  configArgs.push('--config', join(dir, 'config.json'));
}
const serverArgs = reference
  ? [join(ROOT, 'scripts/bench-reference.mjs')]
  : kmsdArgs([...(args.includes('--sqlite') ? ['--data-dir', join(dir, 'data')] : ['--in-memory']), ...configArgs]);
const proc = spawn(
  'valgrind',
  ['--tool=callgrind', `--callgrind-out-file=${join(dir, 'callgrind.out')}`, process.execPath, ...serverArgs],
  {
    cwd: ROOT,
    env: { ...process.env, KMSD_ROOT_KEY: '' },
  },
);
children.add(proc);
const url = await new Promise((resolve, reject) => {
  let out = '';
  proc.stderr.on('data', (d) => (out += d));
  proc.stdout.on('data', (d) => {
    out += d;
    const m = /listening on (https?:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
  proc.once('exit', (code) => reject(new Error(`server exited (${code}):\n${out}`)));
});

const KeyId = await benchKeyId(url, { reference, customKeyStore });
const inputs = {
  Encrypt: async () => (iamUser ? prepareIamUserEncrypt(url, plaintext) : { KeyId, Plaintext: plaintext }),
  Decrypt: async () => ({ CiphertextBlob: (await call(url, 'Encrypt', { KeyId, Plaintext: plaintext })).CiphertextBlob }),
  GenerateDataKey: async () => ({ KeyId, KeySpec: 'AES_256' }),
};
if (!inputs[operation]) throw new Error(`unknown operation ${operation}`);
const input = await inputs[operation]();
const credentials = iamUser ? BENCH_USER : undefined;
// Signed anew every minute: under valgrind a run can outlast a signature's 5 minutes.
let request = await signed(url, operation, input, credentials);
let signedAt = Date.now();

async function drive(count) {
  let left = count;
  const worker = async () => {
    while (left-- > 0) {
      if (Date.now() - signedAt > 60_000) {
        signedAt = Date.now();
        request = await signed(url, operation, input, credentials);
      }
      const r = await send(request);
      if (r.status !== 200) throw new Error(`${operation}: ${r.status} ${r.body.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

await drive(WARMUP);
execFileSync('callgrind_control', ['--zero', String(proc.pid)], { stdio: 'ignore' });
await drive(REQUESTS);
execFileSync('callgrind_control', ['--dump', String(proc.pid)], { stdio: 'ignore' });
const dump = readdirSync(dir).find((f) => f.startsWith('callgrind.out.'));
const totals = dump && /^(?:totals|summary): (\d+)/m.exec(readFileSync(join(dir, dump), 'utf8'));
if (!totals) throw new Error('no callgrind dump');
// V8's optimizing compiler runs on background threads until the hot code is compiled, which
// takes many more requests under valgrind than the warm-up can afford: a one-time cost that a
// server in its steady state no longer pays, so it is shown apart.
const inclusive = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', join(dir, dump)], {
  encoding: 'utf8',
  maxBuffer: 64 << 20,
});
const compiling = /^\s*([\d,]+) .*OptimizingCompileDispatcher::CompileTask::RunInternal/m.exec(inclusive);
const compiler = compiling ? Number(compiling[1].replaceAll(',', '')) : 0;
const perRequest = (n) => (n / REQUESTS / 1000).toFixed(1);
console.log(
  `${reference ? 'reference' : 'kmsd'} ${operation}${iamUser ? ' (IAM user)' : ''}${customKeyStore ? ' (CKS)' : ''}${args.includes('--sqlite') ? ' (SQLite)' : ''}: ${perRequest(Number(totals[1]) - compiler)} k instructions/req without the optimizing compiler (${perRequest(compiler)} k more in it), over ${REQUESTS} requests`,
);
agent.destroy();
proc.kill('SIGKILL');
if (args.includes('--keep')) console.log(`callgrind file: ${join(dir, dump)}`);
else rmSync(dir, { recursive: true, force: true });
