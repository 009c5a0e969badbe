/** Runs the built `kmsd hsm` CLI (node bin/kmsd.js hsm ...) against a kmsd endpoint. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DEV } from './kmsd.js';

const execFileP = promisify(execFile);

export interface HsmCliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed, when it is a JSON object */
  json?: Record<string, unknown>;
}

export async function hsmCli(url: string, args: string[], env: Record<string, string> = {}): Promise<HsmCliRun> {
  const fullEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_ACCESS_KEY_ID: DEV.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEV.secretAccessKey,
    KMSD_ENDPOINT: url,
    ...env,
  };
  try {
    const { stdout, stderr } = await execFileP('node', ['bin/kmsd.js', 'hsm', ...args], { env: fullEnv });
    return { code: 0, stdout, stderr, json: stdout.trim().startsWith('{') ? (JSON.parse(stdout) as Record<string, unknown>) : undefined };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
