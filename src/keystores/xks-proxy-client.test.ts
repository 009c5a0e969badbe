import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newXksCredential, startXksProxy } from '../../test/helpers/xks-proxy.js';
import type { TestXksProxy } from '../../test/helpers/xks-proxy.js';
import { XksProxyClient, XksProxyError, integrityValue } from './xks-proxy-client.js';
import type { XksProxyTarget } from './xks-proxy-client.js';

const ENDPOINT = 'https://xks.example.com';
const meta = { kmsRequestId: 'req-1', kmsOperation: 'Encrypt', awsPrincipalArn: 'arn:aws:iam::111122223333:root', kmsKeyArn: 'arn:k' };

let proxy: TestXksProxy;
let client: XksProxyClient;
let target: XksProxyTarget;

beforeAll(async () => {
  proxy = await startXksProxy();
  proxy.addKey('key-1');
  client = new XksProxyClient({ endpointOverrides: { [ENDPOINT]: proxy.url } });
  target = { uriEndpoint: ENDPOINT, uriPath: '/kms/xks/v1', ...proxy.credential, region: 'us-east-1' };
  // The first call of a process compiles the signing and HTTP code: on a loaded machine that
  // alone can exceed the 250 ms budget, so it is made once, unhurried, before the tests.
  const warmUp = new XksProxyClient({ endpointOverrides: { [ENDPOINT]: proxy.url }, timeoutMs: 10_000 });
  await warmUp.getHealthStatus(target, { kmsRequestId: 'warm-up', kmsOperation: 'KmsHealthCheck' });
  warmUp.close();
});
afterAll(() => proxy.close());

async function failure(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(XksProxyError);
  return (err as XksProxyError).failure;
}

describe('XksProxyClient against the test proxy', () => {
  it('signs GetHealthStatus so the proxy accepts it and sends the request metadata', async () => {
    const health = await client.getHealthStatus(target, { kmsRequestId: 'r-health', kmsOperation: 'ConnectCustomKeyStore' });
    expect(health.xksProxyFleetSize).toBe(1);
    expect(proxy.requests.at(-1)).toEqual({
      path: '/kms/xks/v1/health',
      requestMetadata: { kmsRequestId: 'r-health', kmsOperation: 'ConnectCustomKeyStore' },
    });
  });

  it('round-trips Encrypt and Decrypt, binding the AAD', async () => {
    const plaintext = Buffer.from('double encryption inner layer');
    const aad = Buffer.from('context');
    const sealed = await client.encrypt(target, 'key-1', plaintext, aad, meta);
    expect(sealed.ciphertext.equals(plaintext)).toBe(false);
    expect(await client.decrypt(target, 'key-1', sealed, aad, meta)).toEqual(plaintext);
    expect(await failure(client.decrypt(target, 'key-1', sealed, Buffer.from('other'), meta))).toBe('InvalidCiphertextException');
  });

  it('reads key metadata and maps an unknown key', async () => {
    expect(await client.getKeyMetadata(target, 'key-1', meta)).toEqual({
      keySpec: 'AES_256',
      keyUsage: ['ENCRYPT', 'DECRYPT'],
      keyStatus: 'ENABLED',
    });
    expect(await failure(client.getKeyMetadata(target, 'nope', meta))).toBe('KeyNotFoundException');
  });

  it('maps a wrong credential, a wrong path, a dead port, a slow proxy and an unavailable EKM', async () => {
    expect(await failure(client.getHealthStatus({ ...target, ...newXksCredential() }, meta))).toBe('AuthenticationFailedException');
    expect(await failure(client.getHealthStatus({ ...target, uriPath: '/other/kms/xks/v1' }, meta))).toBe('InvalidUriPathException');

    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const dead = new XksProxyClient({ endpointOverrides: { [ENDPOINT]: `http://127.0.0.1:${port}` } });
    expect(await failure(dead.getHealthStatus(target, meta))).toBe('Unreachable');

    proxy.delayMs = 1000;
    try {
      expect(await failure(client.getHealthStatus(target, meta))).toBe('TimedOut');
    } finally {
      proxy.delayMs = 0;
    }

    proxy.ekmHealth = 'UNAVAILABLE';
    try {
      expect(await failure(client.getHealthStatus(target, meta))).toBe('AllEkmsUnavailable');
    } finally {
      proxy.ekmHealth = 'ACTIVE';
    }
  });

  it('keeps one connection per store alive across calls, and a new one for changed settings', async () => {
    const reuse = new XksProxyClient({ endpointOverrides: { [ENDPOINT]: proxy.url } });
    try {
      const before = proxy.connections;
      for (let i = 0; i < 5; i++) await reuse.encrypt(target, 'key-1', Buffer.from(`call ${i}`), Buffer.alloc(0), meta);
      expect(proxy.connections - before).toBe(1);
      // Another path (or credential) is another store's settings: its own connection.
      await failure(reuse.getKeyMetadata({ ...target, uriPath: '/other/kms/xks/v1' }, 'key-1', meta));
      expect(proxy.connections - before).toBe(2);
      await reuse.getKeyMetadata(target, 'key-1', meta);
      expect(proxy.connections - before).toBe(2);
    } finally {
      reuse.close();
    }
  });

  it('computes the spec test vector for the ciphertext data integrity value', () => {
    const cdiv = integrityValue(
      Buffer.from('project=nile,department=marketing'),
      Buffer.from('key_version=1'),
      Buffer.from('HMrlRw85cAJUd5Ax', 'base64'),
      Buffer.from('ghxkK1txeDNn3q8Y', 'base64'),
      Buffer.from('vBxN2ncH1oEkR8WVXpmyYQ==', 'base64'),
    );
    expect(cdiv.toString('base64')).toBe('qHA/ImC9h5HsLRXqCyPmWgYx7tzyoTplzILbP0fPXsc=');
  });
});
