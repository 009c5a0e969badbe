/**
 * External key stores over real TLS: the test XKS proxy serves HTTPS with a certificate
 * from a CA made here with openssl, which kmsd trusts through its config file
 * (`xksProxy.caFile`, `xksProxy.endpoints`). A certificate kmsd cannot trust gives
 * XKS_PROXY_INVALID_TLS_CONFIGURATION at connect and an unreachable proxy at create.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  EncryptCommand,
} from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { expectAwsError } from './helpers/errors.js';
import { OpensslWorkspace } from './helpers/openssl.js';
import type { Ca } from './helpers/openssl.js';
import { startXksProxy } from './helpers/xks-proxy.js';
import type { TestXksProxy, XksProxyTls } from './helpers/xks-proxy.js';
import { defaultConfig } from '../src/config.js';

const HOST = 'xks.example.com';
const ENDPOINT = `https://${HOST}`;
const OTHER = 'https://other.example.com';

const ws = new OpensslWorkspace();
let t: TestKmsd;
let kms: KMSClient;
let proxy: TestXksProxy;
let trusted: XksProxyTls;
let untrusted: XksProxyTls;

/** A server certificate for `host` issued by `ca`. */
async function serverCert(ca: Ca, host: string): Promise<XksProxyTls> {
  const { cert, key } = await ws.serverCert(ca, host);
  return { cert, key };
}

beforeAll(async () => {
  const ca = await ws.makeCa('xks-test-ca');
  const stranger = await ws.makeCa('unknown-ca');
  trusted = await serverCert(ca, HOST);
  untrusted = await serverCert(stranger, HOST);
  proxy = await startXksProxy(trusted);
  const config = {
    ...defaultConfig(),
    xksProxy: { caFile: ca.certFile, endpoints: { [ENDPOINT]: proxy.url, [OTHER]: proxy.url } },
  };
  t = await startKmsd({ keyStoreTransitionMs: 0, config });
  kms = t.kms();
});
afterAll(async () => {
  await t.close();
  await proxy.close();
});

function storeInput(name: string, endpoint: string) {
  return {
    CustomKeyStoreName: name,
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE' as const,
    XksProxyConnectivity: 'PUBLIC_ENDPOINT' as const,
    XksProxyUriEndpoint: endpoint,
    XksProxyUriPath: '/kms/xks/v1',
    XksProxyAuthenticationCredential: { AccessKeyId: proxy.credential.accessKeyId, RawSecretAccessKey: proxy.credential.secretAccessKey },
  };
}

async function connectionOf(storeId: string) {
  await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
  await t.advanceClock(0);
  const { CustomKeyStores } = await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId }));
  return CustomKeyStores?.[0];
}

describe('XKS proxy over TLS', () => {
  it('works end to end with a CA from the config file, and fails connect with an untrusted certificate', async () => {
    const { CustomKeyStoreId: storeId } = await kms.send(new CreateCustomKeyStoreCommand(storeInput('xks-tls', ENDPOINT)));
    if (!storeId) throw new Error('no id');
    expect(await connectionOf(storeId)).toMatchObject({ ConnectionState: 'CONNECTED' });
    proxy.addKey('tls-key');
    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: 'tls-key' }),
    );
    const enc = await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('over TLS') }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? []).toString()).toBe('over TLS');

    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await t.advanceClock(0);
    proxy.setCertificate(untrusted);
    expect(await connectionOf(storeId)).toMatchObject({
      ConnectionState: 'FAILED',
      ConnectionErrorCode: 'XKS_PROXY_INVALID_TLS_CONFIGURATION',
    });
  });

  it('refuses to create a store whose proxy certificate does not name its endpoint', async () => {
    proxy.setCertificate(trusted);
    await expectAwsError(
      kms.send(new CreateCustomKeyStoreCommand(storeInput('xks-wrong-host', OTHER))),
      'XksProxyUriUnreachableException',
      `KMS cannot communicate with the external key store proxy at ${OTHER}.`,
    );
  });
});
