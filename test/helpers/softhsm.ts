/**
 * A SoftHSM2 token of the test's own (Debian package softhsm2, installed by scripts/test.sh):
 * a config whose token directory is a fresh temporary directory, named by SOFTHSM2_CONF,
 * and one token initialized there with softhsm2-util. SoftHSM2 reads SOFTHSM2_CONF at
 * C_Initialize, so `useInThisProcess` must run before the module is loaded in this process;
 * child processes get `env`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmToken {
  dir: string;
  modulePath: string;
  tokenLabel: string;
  pin: string;
  /** SOFTHSM2_CONF for child processes. */
  env: Record<string, string>;
  useInThisProcess(): void;
  remove(): void;
}

export async function makeSoftHsmToken(tokenLabel = 'kmsd-test'): Promise<SoftHsmToken> {
  const dir = mkdtempSync(join(tmpdir(), 'kmsd-softhsm-'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${dir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const env = { SOFTHSM2_CONF: conf };
  const pin = '1234-user-pin';
  await run('softhsm2-util', ['--init-token', '--free', '--label', tokenLabel, '--pin', pin, '--so-pin', '5678-so-pin'], {
    env: { ...process.env, ...env },
  });
  return {
    dir,
    modulePath: SOFTHSM_MODULE,
    tokenLabel,
    pin,
    env,
    useInThisProcess: () => void (process.env.SOFTHSM2_CONF = conf),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
