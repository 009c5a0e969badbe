/**
 * Runs the built `kmsd hsm` CLI (node bin/kmsd.js hsm ...) against a kmsd endpoint.
 *
 * Passwords written as `--password X` / `--admin-password X` in a test are handed to the CLI
 * the way the README recommends, through environment variables it names
 * (`--password-env VAR`), so the command line holds no password. test/operator-cli.test.ts
 * covers the other forms (the inline flag's warning, --password-stdin, the prompt); pass
 * `{ inlinePasswords: true }` to send them as written.
 */
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

const PASSWORD_ENV: Record<string, string> = {
  '--password': 'KMSD_TEST_HSM_PASSWORD',
  '--admin-password': 'KMSD_TEST_HSM_ADMIN_PASSWORD',
};

/** `--password X` -> `--password-env KMSD_TEST_HSM_PASSWORD` with X in that variable. */
function passwordsViaEnv(args: string[]): { args: string[]; env: Record<string, string> } {
  const out: string[] = [];
  const env: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const variable = PASSWORD_ENV[args[i]];
    if (variable !== undefined && i + 1 < args.length) {
      out.push(`${args[i]}-env`, variable);
      env[variable] = args[++i];
    } else {
      out.push(args[i]);
    }
  }
  return { args: out, env };
}

export async function hsmCli(
  url: string,
  args: string[],
  env: Record<string, string> = {},
  options: { inlinePasswords?: boolean } = {},
): Promise<HsmCliRun> {
  const converted = options.inlinePasswords ? { args, env: {} } : passwordsViaEnv(args);
  const fullEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_ACCESS_KEY_ID: DEV.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEV.secretAccessKey,
    KMSD_ENDPOINT: url,
    ...converted.env,
    ...env,
  };
  try {
    const { stdout, stderr } = await execFileP('node', ['bin/kmsd.js', 'hsm', ...converted.args], { env: fullEnv });
    return { code: 0, stdout, stderr, json: stdout.trim().startsWith('{') ? (JSON.parse(stdout) as Record<string, unknown>) : undefined };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
