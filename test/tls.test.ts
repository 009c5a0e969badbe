/**
 * HTTPS end to end: `kmsd dev-cert`, then `kmsd serve --tls-cert/--tls-key` (the built CLI)
 * reached by /usr/bin/aws trusting the CA through AWS_CA_BUNDLE, by the JS SDK trusting it
 * through an https.Agent, by plain HTTP (answered 400, kmsd unharmed), and by Chromium whose
 * NSS database trusts the CA (no certificate-error switches: a Chromium without the CA is
 * shown to refuse the same page).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { CreateKeyCommand, DecryptCommand, EncryptCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { awsCli } from './helpers/kmsd.js';
import { hsmCli } from './helpers/hsm-cli.js';
import { serve, stopAllProcesses } from './helpers/kmsd-process.js';
import type { Running } from './helpers/kmsd-process.js';
import { httpsKmsClient, makeDevCert, nssHomeTrusting } from './helpers/tls.js';
import type { DevCertFiles } from './helpers/tls.js';
import { ensureConsoleBuilt, launchBrowser } from './helpers/browser.js';

let cert: DevCertFiles;
let k: Running;
const clients: KMSClient[] = [];
const dirs: string[] = [];

function sdk(url: string, ca: string | undefined): KMSClient {
  const c = httpsKmsClient(url, ca);
  clients.push(c);
  return c;
}

/** GET over HTTPS trusting the dev CA; the response's status and headers. */
function httpsGet(url: string, ca: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    httpsRequest(url, { ca: readFileSync(ca) }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    })
      .on('error', reject)
      .end();
  });
}

beforeAll(async () => {
  cert = await makeDevCert();
  dirs.push(cert.dir);
  k = await serve(['--in-memory', '--port', '0', '--tls-cert', cert.cert, '--tls-key', cert.key]);
}, 60_000);
afterAll(async () => {
  for (const c of clients) c.destroy();
  await k?.stop();
  stopAllProcesses();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('kmsd dev-cert', () => {
  it('writes a certificate for localhost, 127.0.0.1 and ::1 signed by a CA to trust, the key 0600, and says how to trust it', () => {
    const leaf = new X509Certificate(readFileSync(cert.cert));
    const ca = new X509Certificate(readFileSync(cert.ca));
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(ca.ca).toBe(true);
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkIP('::1')).toBe('::1');
    expect(leaf.checkHost('example.com')).toBeUndefined();
    expect(statSync(cert.key).mode & 0o777).toBe(0o600);
    expect(readFileSync(cert.key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(cert.stdout).toContain(`export AWS_CA_BUNDLE=${cert.ca}`);
    expect(cert.stdout).toContain(`export NODE_EXTRA_CA_CERTS=${cert.ca}`);
    expect(cert.stdout).toContain(`kmsd serve --tls-cert ${cert.cert} --tls-key ${cert.key}`);
  });
});

describe('kmsd serve over TLS', () => {
  it('says TLS is on and prints the https console URL', () => {
    expect(k.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(k.output()).toContain(`TLS: on (certificate ${cert.cert})`);
    expect(k.output()).toContain(`Console: ${k.url}/console`);
  });

  it('serves the AWS CLI v2 that trusts the CA through AWS_CA_BUNDLE, and only then', async () => {
    const created = await awsCli(k.url, ['kms', 'create-key', '--description', 'over tls'], { AWS_CA_BUNDLE: cert.ca });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const keyId = (created.json as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
    const described = await awsCli(k.url, ['kms', 'describe-key', '--key-id', keyId], { AWS_CA_BUNDLE: cert.ca });
    expect((described.json as { KeyMetadata: { Description: string } }).KeyMetadata.Description).toBe('over tls');
    // Without the CA the CLI refuses the certificate: verification is real.
    const untrusted = await awsCli(k.url, ['kms', 'list-keys']);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.stderr).toMatch(/SSL validation failed|CERTIFICATE_VERIFY_FAILED/);
  });

  it('serves the JS SDK over HTTPS with the CA in its https.Agent, and only then', async () => {
    const c = sdk(k.url, cert.ca);
    const { KeyMetadata } = await c.send(new CreateKeyCommand({}));
    const plaintext = Buffer.from('sent over TLS');
    const enc = await c.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: plaintext }));
    const dec = await c.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array())).toEqual(plaintext);
    await expect(sdk(k.url, undefined).send(new ListKeysCommand({}))).rejects.toMatchObject({
      code: expect.stringMatching(/SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/),
    });
  });

  it('serves kmsd hsm over HTTPS when Node trusts the CA through NODE_EXTRA_CA_CERTS, and only then', async () => {
    const args = ['user', 'list', '--cluster-id', 'cluster-abcdefghijk', '--admin-password-env', 'PW'];
    // A CloudHSM error from kmsd: the request went through TLS.
    const trusted = await hsmCli(k.url, args, { PW: 'admin-pw', NODE_EXTRA_CA_CERTS: cert.ca });
    expect(trusted).toMatchObject({
      code: 1,
      stderr: 'kmsd hsm: CloudHsmResourceNotFoundException: Cluster cluster-abcdefghijk not found.\n',
    });
    const untrusted = await hsmCli(k.url, args, { PW: 'admin-pw' });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/^kmsd hsm: cannot reach kmsd at https:\/\/127\.0\.0\.1:\d+: .*certificate/);
  });

  it('sends HSTS on every response', async () => {
    for (const path of ['/health', '/console', '/nowhere']) {
      const res = await httpsGet(`${k.url}${path}`, cert.ca);
      expect(res.headers['strict-transport-security'], path).toBe('max-age=31536000');
    }
  });

  it('answers plain HTTP on the TLS port with a 400 that says to use HTTPS, and keeps serving', async () => {
    const plainUrl = k.url.replace('https://', 'http://');
    const res = await fetch(`${plainUrl}/health`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      __type: 'HttpsRequiredException',
      message: 'This kmsd serves HTTPS only: use an https:// endpoint URL.',
    });
    // The AWS CLI shows that message too.
    const cli = await awsCli(plainUrl, ['kms', 'list-keys']);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr.replace(' (reached max retries: 0)', '').trim()).toBe(
      'An error occurred (HttpsRequiredException) when calling the ListKeys operation: This kmsd serves HTTPS only: use an https:// endpoint URL.',
    );
    expect((await httpsGet(`${k.url}/health`, cert.ca)).status).toBe(200);
    expect(k.proc.exitCode).toBeNull();
  });
});

describe('the console over HTTPS in Chromium', () => {
  it('loads with the CA trusted in NSS, signs in with a Secure cookie; without the CA Chromium refuses', async () => {
    await ensureConsoleBuilt();
    const home = await nssHomeTrusting(cert.ca);
    dirs.push(home);
    const url = k.url.replace('127.0.0.1', 'localhost');
    const b = await launchBrowser({ home });
    try {
      const page = b.page;
      const response = await page.goto(`${url}/console`);
      expect(response?.status()).toBe(200);
      expect(await response?.headerValue('strict-transport-security')).toBe('max-age=31536000');
      const security = await response?.securityDetails();
      expect(security?.subjectName).toBe('localhost');
      await page.getByLabel('Access key ID').fill('test');
      await page.getByLabel('Secret access key').fill('test');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Customer managed keys' }).waitFor();
      const cookies = await b.context.cookies(`${url}/console`);
      const session = cookies.find((c) => c.name === 'kmsd_console_session');
      expect(session).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict' });
    } finally {
      await b.close();
    }
    const untrusting = await launchBrowser();
    try {
      await expect(untrusting.page.goto(`${url}/console`)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await untrusting.close();
    }
  }, 90_000);
});
