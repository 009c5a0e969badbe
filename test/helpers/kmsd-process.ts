/**
 * The built `kmsd` command as a child process (needs dist/: `npm ci` builds it through the
 * prepare script; or `npx tsc -p tsconfig.build.json`). Call `stopAllProcesses()` in afterAll.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve('bin/kmsd.js');
/** scrypt cost (log2 N) of HSM passwords in tests: kmsd's minimum, see baseEnv. */
export const TEST_HSM_PASSWORD_COST_LOG2 = 14;
const WAIT_MS = 20_000;

export interface Running {
  url: string;
  proc: ChildProcessWithoutNullStreams;
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

const procs: ChildProcessWithoutNullStreams[] = [];

/**
 * The environment without any KMSD_* the test runner may have. HSM password hashes use the
 * lowest scrypt cost kmsd allows (2^14, not 2^17): logins dominate the suite's run time
 * otherwise. A test of the default cost passes KMSD_HSM_PASSWORD_COST itself.
 */
export function baseEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KMSD_') && v !== undefined) env[k] = v;
  return { ...env, KMSD_HSM_PASSWORD_COST: String(TEST_HSM_PASSWORD_COST_LOG2), ...extra };
}

export function exited(proc: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      rej(new Error('kmsd did not exit in time'));
    }, WAIT_MS);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      res(code);
    });
  });
}

/** Runs a short command (help, bad flags, config check) to completion; `input` goes to stdin. */
export async function runKmsd(args: string[], env: Record<string, string> = {}, input?: string): Promise<Finished> {
  const proc = spawn(process.execPath, [BIN, ...args], { env: baseEnv(env) });
  procs.push(proc);
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdin.end(input);
  const code = await exited(proc);
  return { code, stdout, stderr };
}

/**
 * Starts `kmsd serve` and resolves once it prints its endpoint URL. `launcher` runs it through
 * another command that ends by exec'ing its arguments (e.g. unshare), so the pid stays kmsd's.
 */
export function serve(args: string[], env: Record<string, string> = {}, cwd?: string, launcher: string[] = []): Promise<Running> {
  return start(['serve', ...args], /kmsd listening on (https?:\/\/\S+)/, env, cwd, launcher);
}

/** Starts `kmsd xks-proxy`; `url` is the https://address:port{uriPath} it printed. */
export function startXksProxyProcess(args: string[], env: Record<string, string> = {}): Promise<Running> {
  return start(['xks-proxy', ...args], /kmsd xks-proxy listening on (https:\/\/\S+)/, env);
}

/** Runs a kmsd command that serves until stopped, once it printed the line `listening`. */
function start(args: string[], listening: RegExp, env: Record<string, string>, cwd?: string, launcher: string[] = []): Promise<Running> {
  const command = [...launcher, process.execPath, BIN, ...args];
  const proc = spawn(command[0], command.slice(1), { env: baseEnv(env), cwd });
  procs.push(proc);
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      rej(new Error(`kmsd did not start in time:\n${out}`));
    }, WAIT_MS);
    const onData = () => {
      const m = listening.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout.off('data', onData);
      res({
        url: m[1],
        proc,
        output: () => out,
        stop: () => {
          proc.kill('SIGTERM');
          return exited(proc);
        },
      });
    };
    proc.stdout.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`kmsd exited with ${code} before listening:\n${out}`));
    });
  });
}

/** Kills whatever a test file left running. */
export function stopAllProcesses(): void {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}
