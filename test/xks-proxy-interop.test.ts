/**
 * kmsd as KMS against `kmsd xks-proxy` (a child process) with keys in a SoftHSM2 token, over
 * real TLS from a CA made here with openssl, which kmsd trusts through `xksProxy.caFile`.
 * The AWS CLI v2 and the JS SDK run the external key store lifecycle: create, connect, a key
 * whose XksKeyId is a token key label, encrypt and decrypt; disconnect, move the proxy to
 * another path and credential, update, reconnect, and decrypt the old ciphertext. Each
 * connection error code and each KMS error a proxy can cause comes from a real failure: the
 * real proxy (credentials, path, TLS, stopped, its authorization rules and request limit),
 * or, for what a correct proxy never does, a TLS server that never answers or answers
 * garbage.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, request } from 'node:https';
import type { ClientRequest, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ListKeysCommand,
} from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { awsCli, DEV, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { runKmsd, startXksProxyProcess, stopAllProcesses } from './helpers/kmsd-process.js';
import type { Running } from './helpers/kmsd-process.js';
import { OpensslWorkspace } from './helpers/openssl.js';
import type { Ca } from './helpers/openssl.js';
import { makeSoftHsmToken } from './helpers/softhsm.js';
import type { SoftHsmToken } from './helpers/softhsm.js';
import { keyStoreSteps } from './helpers/key-store-steps.js';
import { newXksCredential } from '../src/xks-proxy/credentials.js';
import type { XksProxyCredential } from '../src/xks-proxy/credentials.js';
import { XksProxyClient, XksProxyError } from '../src/keystores/xks-proxy-client.js';
import { defaultConfig } from '../src/config.js';
import { ALICE, iamConfig } from './helpers/iam-config.js';

const HOST = 'xks.example.test';
const ENDPOINT = `https://${HOST}`;
const KEY_LABEL = 'hsm-key-1';
/** A second token key, which the authorization rules below never allow. */
const FENCED_LABEL = 'hsm-key-2';
const ROOT_ARN = `arn:aws:iam::${DEV.accountId}:root`;
const ALICE_ARN = `arn:aws:iam::${DEV.accountId}:user/alice`;
/** Served by `odd`, a TLS server that is no XKS proxy: it hangs or answers garbage. */
const ODD_HOST = 'odd.example.test';
const ODD_ENDPOINT = `https://${ODD_HOST}`;

const ws = new OpensslWorkspace();
const dir = mkdtempSync(join(tmpdir(), 'kmsd-xks-interop-'));
let softhsm: SoftHsmToken;
let ca: Ca;
let trustedCert: { certFile: string; keyFile: string };
let strangerCert: { certFile: string; keyFile: string };
let port: number;
let proxy: Running | undefined;
let t: TestKmsd;
let kms: KMSClient;
let odd: { server: HttpsServer; port: number; mode: 'hang' | 'garbage'; hung: ServerResponse[] };
const steps = keyStoreSteps(
  () => kms,
  () => t,
);

interface ProxySettings {
  uriPath: string;
  credentials: XksProxyCredential[];
  cert?: { certFile: string; keyFile: string };
  clientCa?: string;
  /** More settings, given to the proxy as its --config file. */
  config?: Record<string, unknown>;
}

/** Starts `kmsd xks-proxy` on the token (on the same port each time, once one was picked). */
async function startProxy(settings: ProxySettings): Promise<Running> {
  const credentialsFile = join(dir, `credentials-${Date.now()}-${Math.random()}.json`);
  writeFileSync(credentialsFile, JSON.stringify(settings.credentials), { mode: 0o600 });
  const cert = settings.cert ?? trustedCert;
  const args = ['--port', String(port ?? 0), '--tls-cert', cert.certFile, '--tls-key', cert.keyFile];
  args.push('--uri-path', settings.uriPath, '--credentials-file', credentialsFile, '--token-label', softhsm.tokenLabel);
  if (settings.clientCa) args.push('--client-ca', settings.clientCa);
  if (settings.config) {
    const configFile = join(dir, `config-${Date.now()}-${Math.random()}.json`);
    writeFileSync(configFile, JSON.stringify(settings.config), { mode: 0o600 });
    args.push('--config', configFile);
  }
  const running = await startXksProxyProcess(args, { ...softhsm.env, KMSD_XKS_PIN: softhsm.pin });
  port = Number(new URL(running.url).port);
  // One signed request before kmsd's first, whose budget is 250 ms: a just-started Node
  // process answers its first requests slowly on a loaded machine (code compiled on use).
  const warmUp = new XksProxyClient({ ca: ca.pem, endpointOverrides: { [ENDPOINT]: `https://127.0.0.1:${port}` }, timeoutMs: 10_000 });
  const [credential] = settings.credentials;
  await warmUp
    .getHealthStatus(
      { uriEndpoint: ENDPOINT, uriPath: settings.uriPath, ...credential, region: 'us-east-1' },
      { kmsRequestId: 'warm-up', kmsOperation: 'KmsHealthCheck' },
    )
    .catch(() => undefined);
  warmUp.close();
  return running;
}

async function restartProxy(settings: ProxySettings): Promise<void> {
  await proxy?.stop();
  proxy = await startProxy(settings);
}

function cli(args: string[]) {
  return awsCli(t.url, ['kms', ...args]);
}

function createXksKeyWithCli(storeId: string, xksKeyId: string) {
  return cli(['create-key', '--origin', 'EXTERNAL_KEY_STORE', '--custom-key-store-id', storeId, '--xks-key-id', xksKeyId]);
}

function credentialJson(c: XksProxyCredential): string {
  return JSON.stringify({ AccessKeyId: c.accessKeyId, RawSecretAccessKey: c.secretAccessKey });
}

/** Connect, wait for the background check, and return the store's state and error code. */
async function connectOutcome(storeId: string) {
  const entry = await steps.connect(storeId);
  return { state: entry.ConnectionState, code: entry.ConnectionErrorCode };
}

async function ensureDisconnected(storeId: string): Promise<void> {
  if ((await steps.describeStore(storeId)).ConnectionState !== 'DISCONNECTED') await steps.disconnect(storeId);
}

/** A KMS error as the SDK saw it: the wire __type, HTTP status and message. */
async function kmsError(call: Promise<unknown>): Promise<{ type: string; status?: number; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { type: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('the call succeeded');
}

async function storeCount(): Promise<number> {
  return (await kms.send(new DescribeCustomKeyStoresCommand({}))).CustomKeyStores?.length ?? 0;
}

async function keyCount(): Promise<number> {
  return (await kms.send(new ListKeysCommand({}))).Keys?.length ?? 0;
}

/** An unsigned request to the proxy: its status and body. */
function get(path: string, method = 'GET'): Promise<{ status?: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, servername: HOST, ca: ca.pem }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The odd server's answer to every request, by its current mode. */
function oddAnswer(res: ServerResponse): void {
  if (odd.mode === 'hang') {
    odd.hung.push(res);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<html><body>It works!</body></html>');
}

beforeAll(async () => {
  softhsm = await makeSoftHsmToken('xks-interop');
  const created = await runKmsd(['xks-proxy', 'create-key', '--label', KEY_LABEL, '--token-label', softhsm.tokenLabel], {
    ...softhsm.env,
    KMSD_XKS_PIN: softhsm.pin,
  });
  if (created.code !== 0) throw new Error(created.stderr);
  const fenced = await runKmsd(['xks-proxy', 'create-key', '--label', FENCED_LABEL, '--token-label', softhsm.tokenLabel], {
    ...softhsm.env,
    KMSD_XKS_PIN: softhsm.pin,
  });
  if (fenced.code !== 0) throw new Error(fenced.stderr);
  ca = await ws.makeCa('xks-interop-ca');
  trustedCert = await ws.serverCert(ca, HOST);
  strangerCert = await ws.serverCert(await ws.makeCa('stranger-ca'), HOST);
  const oddCert = await ws.serverCert(ca, ODD_HOST);
  const server = createHttpsServer({ cert: oddCert.cert, key: oddCert.key }, (_req, res) => oddAnswer(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  odd = { server, port: (server.address() as { port: number }).port, mode: 'garbage', hung: [] };
}, 60_000);

afterAll(async () => {
  await t?.close();
  odd?.server.closeAllConnections();
  odd?.server.close();
  await proxy?.stop();
  stopAllProcesses();
  softhsm?.remove();
});

describe('kmsd xks-proxy commands', () => {
  it('creates and lists token keys, refuses a duplicate label and a wrong PIN', async () => {
    const env = { ...softhsm.env, KMSD_XKS_PIN: softhsm.pin };
    const again = await runKmsd(['xks-proxy', 'create-key', '--label', KEY_LABEL, '--token-label', softhsm.tokenLabel], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`a key labelled '${KEY_LABEL}' already exists in the token`);
    const listed = await runKmsd(['xks-proxy', 'list-keys', '--token-label', softhsm.tokenLabel], env);
    expect(listed.stdout.split('\n')).toContain(KEY_LABEL);
    const wrongPin = await runKmsd(['xks-proxy', 'list-keys', '--token-label', softhsm.tokenLabel], { ...env, KMSD_XKS_PIN: 'nope' });
    expect(wrongPin.code).toBe(1);
    expect(wrongPin.stderr).toContain("cannot log in to token 'xks-interop': CKR_PIN_INCORRECT");
    const noCredential = await runKmsd(['xks-proxy', '--token-label', softhsm.tokenLabel, '--tls-cert', 'x', '--tls-key', 'y'], env);
    expect(noCredential.code).toBe(2);
    expect(noCredential.stderr).toContain('at least one credential is required');
    // A misspelt rule attribute would widen the rule: the proxy refuses to start instead.
    const configFile = join(dir, 'typo.json');
    writeFileSync(configFile, JSON.stringify({ credentials: [newXksCredential()], authorization: [{ kmsKeyArn: ['arn:x'] }] }));
    const typo = await runKmsd(
      [
        'xks-proxy',
        '--config',
        configFile,
        '--token-label',
        softhsm.tokenLabel,
        '--tls-cert',
        trustedCert.certFile,
        '--tls-key',
        trustedCert.keyFile,
      ],
      env,
    );
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('authorization rule 1: unknown attribute "kmsKeyArn"');
  });
});

describe('kmsd as KMS with kmsd xks-proxy on SoftHSM2', () => {
  const first = newXksCredential();
  const second = newXksCredential();
  let storeId: string;
  let keyId: string;
  let oldCiphertext: Buffer;

  it('runs the lifecycle with the AWS CLI and the JS SDK', async () => {
    proxy = await startProxy({ uriPath: '/kms/xks/v1', credentials: [first] });
    const config = {
      ...defaultConfig(),
      // Its alice: an IAM user allowed every KMS action, whom the proxy's rules below do not allow.
      accounts: iamConfig().accounts,
      xksProxy: {
        caFile: ca.certFile,
        endpoints: { [ENDPOINT]: `https://127.0.0.1:${port}`, [ODD_ENDPOINT]: `https://127.0.0.1:${odd.port}` },
      },
    };
    t = await startKmsd({ keyStoreTransitionMs: 0, config });
    kms = t.kms();

    const store = await cli([
      'create-custom-key-store',
      '--custom-key-store-name',
      'softhsm-xks',
      '--custom-key-store-type',
      'EXTERNAL_KEY_STORE',
      '--xks-proxy-connectivity',
      'PUBLIC_ENDPOINT',
      '--xks-proxy-uri-endpoint',
      ENDPOINT,
      '--xks-proxy-uri-path',
      '/kms/xks/v1',
      '--xks-proxy-authentication-credential',
      credentialJson(first),
    ]);
    expect(store.code, store.stderr).toBe(0);
    storeId = (store.json as { CustomKeyStoreId: string }).CustomKeyStoreId;
    expect(await connectOutcome(storeId)).toEqual({ state: 'CONNECTED', code: undefined });

    const missing = await createXksKeyWithCli(storeId, 'no-such-label');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('XksKeyNotFoundException');

    const key = await createXksKeyWithCli(storeId, KEY_LABEL);
    expect(key.code, key.stderr).toBe(0);
    const metadata = (key.json as { KeyMetadata: { KeyId: string; XksKeyConfiguration: { Id: string } } }).KeyMetadata;
    expect(metadata.XksKeyConfiguration).toEqual({ Id: KEY_LABEL });
    keyId = metadata.KeyId;

    const encrypted = await cli(['encrypt', '--key-id', keyId, '--plaintext', Buffer.from('kept in SoftHSM2').toString('base64')]);
    expect(encrypted.code, encrypted.stderr).toBe(0);
    oldCiphertext = Buffer.from((encrypted.json as { CiphertextBlob: string }).CiphertextBlob, 'base64');
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: oldCiphertext }));
    expect(Buffer.from(decrypted.Plaintext ?? []).toString()).toBe('kept in SoftHSM2');
    expect(decrypted.KeyId).toContain(keyId);

    const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { app: 'x' } }));
    const blobFile = join(dir, 'data-key.bin');
    writeFileSync(blobFile, dataKey.CiphertextBlob ?? new Uint8Array());
    const viaCli = await cli(['decrypt', '--ciphertext-blob', `fileb://${blobFile}`, '--encryption-context', 'app=x']);
    expect(viaCli.code, viaCli.stderr).toBe(0);
    expect(Buffer.from((viaCli.json as { Plaintext: string }).Plaintext, 'base64')).toEqual(Buffer.from(dataKey.Plaintext ?? []));
  });

  it('moves to another path and credential: disconnect, restart the proxy, update, reconnect; old ciphertexts still decrypt', async () => {
    expect((await steps.disconnect(storeId)).ConnectionState).toBe('DISCONNECTED');
    // Both credentials accepted during the rotation, as xks-proxy.md §5 recommends.
    await restartProxy({ uriPath: '/tenant-a/kms/xks/v1', credentials: [first, second] });
    const updated = await cli([
      'update-custom-key-store',
      '--custom-key-store-id',
      storeId,
      '--xks-proxy-uri-path',
      '/tenant-a/kms/xks/v1',
      '--xks-proxy-authentication-credential',
      credentialJson(second),
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    await restartProxy({ uriPath: '/tenant-a/kms/xks/v1', credentials: [second] });
    expect(await connectOutcome(storeId)).toEqual({ state: 'CONNECTED', code: undefined });
    const described = await cli(['describe-custom-key-stores', '--custom-key-store-id', storeId]);
    const [entry] = (described.json as { CustomKeyStores: { XksProxyConfiguration?: Record<string, unknown> }[] }).CustomKeyStores;
    expect(entry.XksProxyConfiguration).toMatchObject({ UriPath: '/tenant-a/kms/xks/v1', AccessKeyId: second.accessKeyId });
    expect(described.stdout).not.toContain(second.secretAccessKey);

    const blobFile = join(dir, 'old.bin');
    writeFileSync(blobFile, oldCiphertext);
    const decrypted = await cli(['decrypt', '--ciphertext-blob', `fileb://${blobFile}`]);
    expect(decrypted.code, decrypted.stderr).toBe(0);
    expect(Buffer.from((decrypted.json as { Plaintext: string }).Plaintext, 'base64').toString()).toBe('kept in SoftHSM2');
    const again = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('after the move') }));
    const back = await kms.send(new DecryptCommand({ CiphertextBlob: again.CiphertextBlob }));
    expect(Buffer.from(back.Plaintext ?? []).toString()).toBe('after the move');
  });

  it('refuses an update to a credential the proxy does not accept', async () => {
    await steps.disconnect(storeId);
    const wrong = await cli([
      'update-custom-key-store',
      '--custom-key-store-id',
      storeId,
      '--xks-proxy-authentication-credential',
      credentialJson(newXksCredential()),
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('XksProxyIncorrectAuthenticationCredentialException');
  });

  it.each([
    ['a credential the proxy no longer accepts', '/tenant-a/kms/xks/v1', [first], false, 'INVALID_CREDENTIALS'],
    ['a path the proxy does not serve', '/tenant-b/kms/xks/v1', [second], false, 'XKS_PROXY_INVALID_CONFIGURATION'],
    ['a certificate from a CA kmsd does not trust', '/tenant-a/kms/xks/v1', [second], true, 'XKS_PROXY_INVALID_TLS_CONFIGURATION'],
  ])('fails to connect with %s', async (_what, uriPath, credentials, untrusted, code) => {
    await ensureDisconnected(storeId);
    await restartProxy({ uriPath, credentials, cert: untrusted ? strangerCert : trustedCert });
    expect(await connectOutcome(storeId)).toEqual({ state: 'FAILED', code });
  });

  it('fails to connect to a stopped proxy, and encrypts again once it is back', async () => {
    await ensureDisconnected(storeId);
    await proxy?.stop();
    proxy = undefined;
    expect(await connectOutcome(storeId)).toEqual({ state: 'FAILED', code: 'XKS_PROXY_NOT_REACHABLE' });
    await steps.disconnect(storeId);
    proxy = await startProxy({ uriPath: '/tenant-a/kms/xks/v1', credentials: [second] });
    expect(await connectOutcome(storeId)).toEqual({ state: 'CONNECTED', code: undefined });
    const blob = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('back') }))).CiphertextBlob;
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext ?? []).toString()).toBe('back');
  });

  describe('with authorization rules and a limit of one request in flight', () => {
    const tenantA = '/tenant-a/kms/xks/v1';
    let hold: ClientRequest | undefined;
    let probe: XksProxyClient;
    const probeHealth = () =>
      probe
        .getHealthStatus(
          { uriEndpoint: ENDPOINT, uriPath: tenantA, ...second, region: 'us-east-1' },
          { kmsRequestId: 'probe', kmsOperation: 'KmsHealthCheck' },
        )
        .then(
          () => 'healthy',
          (err: unknown) => (err instanceof XksProxyError ? err.failure : String(err)),
        );

    beforeAll(async () => {
      await restartProxy({
        uriPath: tenantA,
        credentials: [second],
        // Only the account's root principal, and only the first token key.
        config: { authorization: [{ xksKeyIds: [KEY_LABEL], awsPrincipalArns: [ROOT_ARN] }], maxInFlight: 1 },
      });
      probe = new XksProxyClient({ ca: ca.pem, endpointOverrides: { [ENDPOINT]: `https://127.0.0.1:${port}` }, timeoutMs: 10_000 });
    });

    afterAll(() => {
      hold?.destroy();
      probe?.close();
    });

    it('connects (GetHealthStatus is exempt), refuses a fenced key and principal: KMSInvalidStateException', async () => {
      await ensureDisconnected(storeId);
      expect(await connectOutcome(storeId)).toEqual({ state: 'CONNECTED', code: undefined });

      const keysBefore = await keyCount();
      const fenced = await createXksKeyWithCli(storeId, FENCED_LABEL);
      expect(fenced.code).not.toBe(0);
      expect(fenced.stderr).toContain('An error occurred (KMSInvalidStateException) when calling the CreateKey operation');
      expect(fenced.stderr).toContain(': The external key store proxy denied access to the operation.');
      expect(
        await kmsError(kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: FENCED_LABEL }))),
      ).toEqual({ type: 'KMSInvalidStateException', status: 400, message: 'The external key store proxy denied access to the operation.' });
      expect(await keyCount()).toBe(keysBefore);

      // The root principal may use the allowed key; alice (allowed by kmsd) is refused by the proxy.
      const blob = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('root only') }))).CiphertextBlob;
      expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext ?? []).toString()).toBe('root only');
      const alice = t.kms({ accessKeyId: ALICE.accessKeyId, secretAccessKey: ALICE.secretAccessKey });
      const denied = {
        type: 'KMSInvalidStateException',
        status: 400,
        message: 'The external key store proxy could not complete the request: the proxy denied access to the operation.',
      };
      expect(await kmsError(alice.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })))).toEqual(denied);
      expect(await kmsError(alice.send(new DecryptCommand({ CiphertextBlob: blob })))).toEqual(denied);
      const blobFile = join(dir, 'root-only.bin');
      writeFileSync(blobFile, blob ?? new Uint8Array());
      const viaCli = await awsCli(t.url, ['kms', 'decrypt', '--ciphertext-blob', `fileb://${blobFile}`], {
        AWS_ACCESS_KEY_ID: ALICE.accessKeyId,
        AWS_SECRET_ACCESS_KEY: ALICE.secretAccessKey,
      });
      expect(viaCli.code).not.toBe(0);
      expect(viaCli.stderr).toContain('An error occurred (KMSInvalidStateException) when calling the Decrypt operation');
      expect(viaCli.stderr).toContain(`: ${denied.message}`);

      // The proxy logs each denial, naming who and what, without the credential's secret.
      const log = proxy?.output() ?? '';
      expect(log).toContain('"msg":"xks request denied"');
      expect(log).toContain(`"awsPrincipalArns":"${ALICE_ARN}"`);
      expect(log).toContain(`"xksKeyIds":"${FENCED_LABEL}"`);
      expect(log).not.toContain(second.secretAccessKey);
    });

    it('throttles past the limit: each KMS operation gets its §7 error, Connect fails with XKS_PROXY_NOT_REACHABLE', async () => {
      // A request whose body never comes holds the one place until it is dropped.
      hold = request({ host: '127.0.0.1', port, path: `${tenantA}/health`, method: 'POST', servername: HOST, ca: ca.pem });
      hold.on('error', () => undefined);
      hold.setHeader('content-length', '100');
      hold.flushHeaders();
      for (let i = 0; i < 100 && (await probeHealth()) !== 'ThrottlingException'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await probeHealth()).toBe('ThrottlingException');
      // The load balancer's check is not throttled.
      expect(await get('/ping')).toEqual({ status: 200, body: 'pong' });

      expect(await kmsError(kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })))).toEqual({
        type: 'KMSInvalidStateException',
        status: 400,
        message: 'The external key store proxy could not complete the request: the request rate to the proxy is too high.',
      });
      const keysBefore = await keyCount();
      expect(
        await kmsError(kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: FENCED_LABEL }))),
      ).toEqual({
        type: 'CustomKeyStoreInvalidStateException',
        status: 400,
        message: `KMS cannot use the external key store proxy of custom key store ${storeId}: the request rate to the proxy is too high.`,
      });
      expect(await keyCount()).toBe(keysBefore);

      const unreachable = {
        type: 'XksProxyUriUnreachableException',
        status: 400,
        message: `KMS cannot communicate with the external key store proxy at ${ENDPOINT}.`,
      };
      const storesBefore = await storeCount();
      expect(
        await kmsError(
          kms.send(
            new CreateCustomKeyStoreCommand({
              CustomKeyStoreName: 'throttled',
              CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
              XksProxyConnectivity: 'PUBLIC_ENDPOINT',
              XksProxyUriEndpoint: ENDPOINT,
              XksProxyUriPath: '/tenant-c/kms/xks/v1',
              XksProxyAuthenticationCredential: { AccessKeyId: second.accessKeyId, RawSecretAccessKey: second.secretAccessKey },
            }),
          ),
        ),
      ).toEqual(unreachable);
      expect(await storeCount()).toBe(storesBefore);
      const update = await cli([
        'update-custom-key-store',
        '--custom-key-store-id',
        storeId,
        '--new-custom-key-store-name',
        'renamed',
        '--xks-proxy-uri-path',
        tenantA,
        '--xks-proxy-authentication-credential',
        credentialJson(second),
      ]);
      expect(update.code).not.toBe(0);
      expect(update.stderr).toContain(
        'An error occurred (XksProxyUriUnreachableException) when calling the UpdateCustomKeyStore operation',
      );
      expect(update.stderr).toContain(`: ${unreachable.message}`);
      expect((await steps.describeStore(storeId)).CustomKeyStoreName).toBe('softhsm-xks');

      await steps.disconnect(storeId);
      expect(await connectOutcome(storeId)).toEqual({ state: 'FAILED', code: 'XKS_PROXY_NOT_REACHABLE' });

      // Dropping the held request frees the place again.
      hold.destroy();
      for (let i = 0; i < 100 && (await probeHealth()) !== 'healthy'; i++) await new Promise((r) => setTimeout(r, 50));
      await steps.disconnect(storeId);
      expect(await connectOutcome(storeId)).toEqual({ state: 'CONNECTED', code: undefined });
      const blob = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('unthrottled') }))).CiphertextBlob;
      expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext ?? []).toString()).toBe('unthrottled');
    });
  });

  it('times out on a server that never answers and cannot read one that answers garbage', async () => {
    const credential = newXksCredential();
    const create = (connectivity: 'PUBLIC_ENDPOINT' | 'VPC_ENDPOINT_SERVICE') =>
      kms.send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: `odd-${connectivity}`,
          CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
          XksProxyConnectivity: connectivity,
          XksProxyUriEndpoint: ODD_ENDPOINT,
          XksProxyUriPath: '/kms/xks/v1',
          XksProxyAuthenticationCredential: { AccessKeyId: credential.accessKeyId, RawSecretAccessKey: credential.secretAccessKey },
          ...(connectivity === 'VPC_ENDPOINT_SERVICE'
            ? { XksProxyVpcEndpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0' }
            : {}),
        }),
      );
    const storesBefore = await storeCount();
    // A public store's proxy is called at Create: both refusals leave nothing behind.
    odd.mode = 'garbage';
    expect(await kmsError(create('PUBLIC_ENDPOINT'))).toEqual({
      type: 'XksProxyInvalidResponseException',
      status: 400,
      message: 'KMS cannot interpret the response from the external key store proxy.',
    });
    odd.mode = 'hang';
    expect(await kmsError(create('PUBLIC_ENDPOINT'))).toEqual({
      type: 'XksProxyUriUnreachableException',
      status: 400,
      message: `KMS cannot communicate with the external key store proxy at ${ODD_ENDPOINT}.`,
    });
    expect(await storeCount()).toBe(storesBefore);

    // A VPC store's proxy is first called at Connect.
    const oddStore = (await create('VPC_ENDPOINT_SERVICE')).CustomKeyStoreId ?? '';
    expect(await connectOutcome(oddStore)).toEqual({ state: 'FAILED', code: 'XKS_PROXY_TIMED_OUT' });
    await steps.disconnect(oddStore);
    odd.mode = 'garbage';
    expect(await connectOutcome(oddStore)).toEqual({ state: 'FAILED', code: 'XKS_PROXY_INVALID_RESPONSE' });
    const described = await cli(['describe-custom-key-stores', '--custom-key-store-id', oddStore]);
    expect(described.json).toMatchObject({
      CustomKeyStores: [{ ConnectionState: 'FAILED', ConnectionErrorCode: 'XKS_PROXY_INVALID_RESPONSE' }],
    });
    await steps.disconnect(oddStore);
    for (const res of odd.hung.splice(0)) res.destroy();
  });
});

describe('the proxy itself', () => {
  const credential = newXksCredential();
  const target = {
    uriEndpoint: ENDPOINT,
    uriPath: '/kms/xks/v1',
    accessKeyId: credential.accessKeyId,
    secretAccessKey: credential.secretAccessKey,
    region: 'eu-west-1',
  };
  const meta = {
    kmsRequestId: 'req-1',
    kmsOperation: 'Encrypt',
    awsPrincipalArn: 'arn:aws:iam::111122223333:root',
    kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/x',
  };
  let client: XksProxyClient;

  beforeAll(async () => {
    await restartProxy({ uriPath: '/kms/xks/v1', credentials: [credential] });
    client = new XksProxyClient({ ca: ca.pem, endpointOverrides: { [ENDPOINT]: `https://127.0.0.1:${port}` }, timeoutMs: 5000 });
  });

  async function failure(call: Promise<unknown>): Promise<string> {
    try {
      await call;
    } catch (err) {
      if (err instanceof XksProxyError) return err.failure;
      throw err;
    }
    return 'succeeded';
  }

  it('answers the spec APIs and its error names', async () => {
    expect(await client.getKeyMetadata(target, KEY_LABEL, meta)).toEqual({
      keySpec: 'AES_256',
      keyUsage: ['ENCRYPT', 'DECRYPT'],
      keyStatus: 'ENABLED',
    });
    expect(await client.getHealthStatus(target, { kmsRequestId: 'r', kmsOperation: 'KmsHealthCheck' })).toEqual({
      xksProxyFleetSize: 1,
      ekmFleetDetails: [{ healthStatus: 'ACTIVE' }],
    });
    const aad = Buffer.from('aad');
    const sealed = await client.encrypt(target, KEY_LABEL, Buffer.from('direct'), aad, meta);
    expect((await client.decrypt(target, KEY_LABEL, sealed, aad, meta)).toString()).toBe('direct');
    expect(await failure(client.decrypt(target, KEY_LABEL, sealed, Buffer.from('other'), meta))).toBe('InvalidCiphertextException');
    expect(await failure(client.encrypt(target, 'absent', Buffer.from('x'), aad, meta))).toBe('KeyNotFoundException');
    expect(await failure(client.getKeyMetadata({ ...target, uriPath: '/x/kms/xks/v1' }, KEY_LABEL, meta))).toBe('InvalidUriPathException');
    expect(await failure(client.getKeyMetadata({ ...target, secretAccessKey: newXksCredential().secretAccessKey }, KEY_LABEL, meta))).toBe(
      'AuthenticationFailedException',
    );
    expect(await failure(client.getKeyMetadata(target, KEY_LABEL, { kmsRequestId: 'r', kmsOperation: 'CreateKey' }))).toBe(
      'ValidationException',
    );
  });

  it('answers 405 to GET on an API path, and pong to GET /ping without credentials', async () => {
    expect(await get('/kms/xks/v1/health')).toMatchObject({ status: 405 });
    expect(await get('/kms/xks/v1/keys/x/encrypt')).toMatchObject({ status: 405 });
    expect(await get('/ping')).toEqual({ status: 200, body: 'pong' });
    expect(await get('/ping', 'HEAD')).toEqual({ status: 200, body: '' });
    expect(await get('/ping', 'POST')).toEqual({ status: 405, body: '' });
    expect(await get('/kms/xks/v1/ping')).toMatchObject({ status: 404 });
  });

  it('with a per-second cap, answers ThrottlingException once the second is used up', async () => {
    await restartProxy({ uriPath: '/kms/xks/v1', credentials: [credential], config: { maxRequestsPerSecond: 1 } });
    // The restart's warm-up call may have taken this second's one request: start on a fresh second.
    await new Promise((r) => setTimeout(r, 1100));
    expect(await client.getKeyMetadata(target, KEY_LABEL, meta)).toMatchObject({ keySpec: 'AES_256' });
    const outcomes: string[] = [];
    // Calls quicker than one a second use up the refill; a generous number of tries.
    while (outcomes.length < 50 && !outcomes.includes('ThrottlingException')) {
      outcomes.push(await failure(client.getKeyMetadata(target, KEY_LABEL, meta)));
    }
    expect(outcomes).toContain('ThrottlingException');
  });

  it('with a client CA, accepts only clients presenting a certificate it issued (mTLS)', async () => {
    const clientCert = await ws.serverCert(ca, 'cks.kms.eu-west-1.amazonaws.com');
    await restartProxy({ uriPath: '/kms/xks/v1', credentials: [credential], clientCa: ca.certFile });
    const ask = (withCert: boolean) =>
      new Promise<number | string>((resolve) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/kms/xks/v1/health',
            method: 'GET',
            servername: HOST,
            ca: ca.pem,
            ...(withCert ? { cert: clientCert.cert, key: clientCert.key } : {}),
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
        req.end();
      });
    expect(await ask(true)).toBe(405);
    expect(await ask(false)).not.toBe(405);
  });
});
