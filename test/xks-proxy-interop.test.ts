/**
 * kmsd as KMS against `kmsd xks-proxy` (a child process) with keys in a SoftHSM2 token, over
 * real TLS from a CA made here with openssl, which kmsd trusts through `xksProxy.caFile`.
 * The AWS CLI v2 and the JS SDK run the external key store lifecycle: create, connect, a key
 * whose XksKeyId is a token key label, encrypt and decrypt; disconnect, move the proxy to
 * another path and credential, update, reconnect, and decrypt the old ciphertext. Each
 * connection error code comes from a real failure of the real proxy.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { awsCli, startKmsd } from './helpers/kmsd.js';
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

const HOST = 'xks.example.test';
const ENDPOINT = `https://${HOST}`;
const KEY_LABEL = 'hsm-key-1';

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
const steps = keyStoreSteps(
  () => kms,
  () => t,
);

interface ProxySettings {
  uriPath: string;
  credentials: XksProxyCredential[];
  cert?: { certFile: string; keyFile: string };
  clientCa?: string;
}

/** Starts `kmsd xks-proxy` on the token (on the same port each time, once one was picked). */
async function startProxy(settings: ProxySettings): Promise<Running> {
  const credentialsFile = join(dir, `credentials-${Date.now()}-${Math.random()}.json`);
  writeFileSync(credentialsFile, JSON.stringify(settings.credentials), { mode: 0o600 });
  const cert = settings.cert ?? trustedCert;
  const args = ['--port', String(port ?? 0), '--tls-cert', cert.certFile, '--tls-key', cert.keyFile];
  args.push('--uri-path', settings.uriPath, '--credentials-file', credentialsFile, '--token-label', softhsm.tokenLabel);
  if (settings.clientCa) args.push('--client-ca', settings.clientCa);
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

beforeAll(async () => {
  softhsm = await makeSoftHsmToken('xks-interop');
  const created = await runKmsd(['xks-proxy', 'create-key', '--label', KEY_LABEL, '--token-label', softhsm.tokenLabel], {
    ...softhsm.env,
    KMSD_XKS_PIN: softhsm.pin,
  });
  if (created.code !== 0) throw new Error(created.stderr);
  ca = await ws.makeCa('xks-interop-ca');
  trustedCert = await ws.serverCert(ca, HOST);
  strangerCert = await ws.serverCert(await ws.makeCa('stranger-ca'), HOST);
}, 60_000);

afterAll(async () => {
  await t?.close();
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
    const config = { ...defaultConfig(), xksProxy: { caFile: ca.certFile, endpoints: { [ENDPOINT]: `https://127.0.0.1:${port}` } } };
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

    const missing = await cli([
      'create-key',
      '--origin',
      'EXTERNAL_KEY_STORE',
      '--custom-key-store-id',
      storeId,
      '--xks-key-id',
      'no-such-label',
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('XksKeyNotFoundException');

    const key = await cli(['create-key', '--origin', 'EXTERNAL_KEY_STORE', '--custom-key-store-id', storeId, '--xks-key-id', KEY_LABEL]);
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

  it('answers 405 to GET on an API path', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/kms/xks/v1/health', method: 'GET', servername: HOST, ca: ca.pem }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(405);
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
