/**
 * TLS for tests: a development certificate made by `kmsd dev-cert` (the built CLI), clients
 * that trust its CA, and a Chromium NSS database that trusts it.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KMSClient } from '@aws-sdk/client-kms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DEV, REGION } from './kmsd.js';

const execFileP = promisify(execFile);

export interface DevCertFiles {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  /** What kmsd dev-cert printed. */
  stdout: string;
}

export async function makeDevCert(dir = mkdtempSync(join(tmpdir(), 'kmsd-tls-'))): Promise<DevCertFiles> {
  const { stdout } = await execFileP(process.execPath, ['bin/kmsd.js', 'dev-cert', '--data-dir', dir]);
  return { dir, ca: join(dir, 'dev-ca.pem'), cert: join(dir, 'dev-cert.pem'), key: join(dir, 'dev-key.pem'), stdout };
}

/** The JS SDK over HTTPS, trusting exactly `caFile` (through an https.Agent). */
export function httpsKmsClient(url: string, caFile: string | undefined): KMSClient {
  const httpsAgent = new Agent({ ca: caFile ? readFileSync(caFile) : undefined, keepAlive: false });
  return new KMSClient({
    endpoint: url,
    region: REGION,
    credentials: { accessKeyId: DEV.accessKeyId, secretAccessKey: DEV.secretAccessKey },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpsAgent }),
  });
}

/**
 * A HOME whose NSS database (~/.pki/nssdb, what Chromium on Linux trusts) holds `caFile` as
 * a trusted CA for websites. Needs certutil (Debian package libnss3-tools).
 */
export async function nssHomeTrusting(caFile: string): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'kmsd-home-'));
  const db = join(home, '.pki', 'nssdb');
  mkdirSync(db, { recursive: true });
  await execFileP('certutil', ['-d', `sql:${db}`, '-N', '--empty-password']);
  await execFileP('certutil', ['-d', `sql:${db}`, '-A', '-n', 'kmsd development CA', '-t', 'C,,', '-i', caFile]);
  return home;
}
