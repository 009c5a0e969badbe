/**
 * External key stores (EXTERNAL_KEY_STORE) through the AWS SDK, against a real XKS proxy
 * peer (test/helpers/xks-proxy.ts) that verifies kmsd's SigV4 signatures: creation and its
 * proxy-derived errors, connect and the ConnectionErrorCodes of real failures, keys backed
 * by an external key, double encryption, and the KMS errors of a failing proxy.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisconnectCustomKeyStoreCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateRandomCommand,
  ReEncryptCommand,
  UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import type { CreateCustomKeyStoreCommandInput, KMSClient } from '@aws-sdk/client-kms';
import { awsCli, removeDir, startKmsd } from './helpers/kmsd.js';
import { keyStoreSteps } from './helpers/key-store-steps.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { expectAwsError } from './helpers/errors.js';
import { newXksCredential, startXksProxy } from './helpers/xks-proxy.js';
import type { TestXksProxy } from './helpers/xks-proxy.js';
import { customKeyStoreTable } from '../src/kms/custom-key-stores.js';

const ENDPOINT = 'https://xks.example.com';
const DOWN = 'https://down.example.com';
const GONE = 'https://gone.example.com';
/** The private DNS name of a VPC endpoint service: kmsd reaches the proxy there too. */
const PRIVATE = 'https://xks.private.example.com';
const PRIVATE_2 = 'https://xks2.private.example.com';

let t: TestKmsd;
let kms: KMSClient;
let proxy: TestXksProxy;
/** A second proxy, stopped during a test. */
let goneProxy: TestXksProxy;
let credential: TestXksProxy['credential'];

beforeAll(async () => {
  proxy = await startXksProxy();
  goneProxy = await startXksProxy();
  credential = proxy.credential;
  // A port nothing listens on: the "stopped proxy".
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const deadPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  t = await startKmsd({
    keyStoreTransitionMs: 0,
    // Off here: a periodic KmsHealthCheck would land among the proxy calls the tests look at.
    xksHealthCheckIntervalMs: 0,
    xksProxyEndpoints: {
      [ENDPOINT]: proxy.url,
      [DOWN]: `http://127.0.0.1:${deadPort}`,
      [GONE]: goneProxy.url,
      [PRIVATE]: proxy.url,
      [PRIVATE_2]: proxy.url,
    },
  });
});
afterAll(async () => {
  await t.close();
  await proxy.close();
  await goneProxy.close();
});

// Stores are scoped per account+Region and endpoint+path must be unique: one Region per test.
const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'ap-south-1',
  'ap-northeast-1',
  'ca-central-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'eu-central-2',
  'me-south-1',
  'af-south-1',
  'eu-south-1',
];
let testNo = 0;
beforeEach(() => {
  kms = t.kms({ region: REGIONS[testNo++ % REGIONS.length] });
  proxy.delayMs = 0;
  proxy.ekmHealth = 'ACTIVE';
  proxy.uriPath = '/kms/xks/v1';
  proxy.credential = credential;
  proxy.garbled = false;
  proxy.failWith = undefined;
});

function storeInput(name: string, overrides: Partial<CreateCustomKeyStoreCommandInput> = {}): CreateCustomKeyStoreCommandInput {
  return {
    CustomKeyStoreName: name,
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    XksProxyConnectivity: 'PUBLIC_ENDPOINT',
    XksProxyUriEndpoint: ENDPOINT,
    XksProxyUriPath: '/kms/xks/v1',
    XksProxyAuthenticationCredential: { AccessKeyId: proxy.credential.accessKeyId, RawSecretAccessKey: proxy.credential.secretAccessKey },
    ...overrides,
  };
}

async function createStore(name: string): Promise<string> {
  const { CustomKeyStoreId } = await kms.send(new CreateCustomKeyStoreCommand(storeInput(name)));
  if (!CustomKeyStoreId) throw new Error('no id');
  return CustomKeyStoreId;
}

const { describeStore, connect, disconnect } = keyStoreSteps(
  () => kms,
  () => t,
);

async function storeCount(): Promise<number> {
  const { CustomKeyStores } = await kms.send(new DescribeCustomKeyStoresCommand({}));
  return CustomKeyStores?.length ?? 0;
}

async function createXksKey(storeId: string, xksKeyId: string) {
  const { KeyMetadata } = await kms.send(
    new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: xksKeyId }),
  );
  if (!KeyMetadata?.KeyId || !KeyMetadata.Arn) throw new Error('no key');
  return { keyId: KeyMetadata.KeyId, arn: KeyMetadata.Arn, metadata: KeyMetadata };
}

describe('external key store lifecycle', () => {
  it('creates, connects, encrypts through the proxy, disconnects and deletes', async () => {
    const storeId = await createStore('xks-lifecycle');
    expect(storeId).toMatch(/^cks-[0-9a-f]{17}$/);
    const entry = await describeStore(storeId);
    expect(entry).toEqual({
      CustomKeyStoreId: storeId,
      CustomKeyStoreName: 'xks-lifecycle',
      CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
      ConnectionState: 'DISCONNECTED',
      CreationDate: expect.any(Date),
      XksProxyConfiguration: {
        Connectivity: 'PUBLIC_ENDPOINT',
        AccessKeyId: proxy.credential.accessKeyId,
        UriEndpoint: ENDPOINT,
        UriPath: '/kms/xks/v1',
      },
    });
    // The secret is never returned and never stored in plaintext.
    const region = await kms.config.region();
    const row = await customKeyStoreTable(t.kmsd.store).get({ account: '111122223333', region }, storeId);
    expect(row?.xks?.secretWrapped).toBeDefined();
    expect(JSON.stringify(row)).not.toContain(proxy.credential.secretAccessKey);
    expect(proxy.requests.at(-1)?.requestMetadata.kmsOperation).toBe('CreateCustomKeyStore');

    expect((await connect(storeId)).ConnectionState).toBe('CONNECTED');
    expect(proxy.requests.at(-1)?.requestMetadata.kmsOperation).toBe('ConnectCustomKeyStore');

    proxy.addKey('lifecycle-key');
    const key = await createXksKey(storeId, 'lifecycle-key');
    expect(key.metadata).toMatchObject({
      Origin: 'EXTERNAL_KEY_STORE',
      CustomKeyStoreId: storeId,
      XksKeyConfiguration: { Id: 'lifecycle-key' },
    });
    expect(key.metadata.CloudHsmClusterId).toBeUndefined();
    const described = await kms.send(new DescribeKeyCommand({ KeyId: key.keyId }));
    expect(described.KeyMetadata?.XksKeyConfiguration).toEqual({ Id: 'lifecycle-key' });

    const plaintext = Buffer.from('kept under two keys');
    const context = { purpose: 'xks-test' };
    const enc = await kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: plaintext, EncryptionContext: context }));
    const encryptCall = proxy.requests.at(-1);
    expect(encryptCall?.path).toBe('/kms/xks/v1/keys/lifecycle-key/encrypt');
    expect(encryptCall?.requestMetadata).toMatchObject({
      kmsKeyArn: key.arn,
      kmsOperation: 'Encrypt',
      awsPrincipalArn: 'arn:aws:iam::111122223333:root',
    });
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context }));
    expect(Buffer.from(dec.Plaintext ?? []).equals(plaintext)).toBe(true);
    expect(dec.KeyId).toBe(key.arn);
    expect(proxy.requests.at(-1)?.requestMetadata.kmsOperation).toBe('Decrypt');
    await expectAwsError(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { purpose: 'other' } })),
      'KMSInvalidStateException',
      /rejected the ciphertext/,
    );

    const other = await kms.send(new CreateKeyCommand({}));
    const moved = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: enc.CiphertextBlob,
        SourceEncryptionContext: context,
        DestinationKeyId: other.KeyMetadata?.KeyId,
      }),
    );
    expect(proxy.requests.at(-1)?.requestMetadata.kmsOperation).toBe('ReEncrypt');
    const back = await kms.send(
      new ReEncryptCommand({ CiphertextBlob: moved.CiphertextBlob, DestinationKeyId: key.keyId, DestinationEncryptionContext: context }),
    );
    expect(proxy.requests.at(-1)?.path).toBe('/kms/xks/v1/keys/lifecycle-key/encrypt');
    const reopened = await kms.send(new DecryptCommand({ CiphertextBlob: back.CiphertextBlob, EncryptionContext: context }));
    expect(Buffer.from(reopened.Plaintext ?? []).equals(plaintext)).toBe(true);
    await expectAwsError(
      kms.send(new GenerateRandomCommand({ NumberOfBytes: 16, CustomKeyStoreId: storeId })),
      'UnsupportedOperationException',
      `GenerateRandom is not supported with custom key store ${storeId} of type EXTERNAL_KEY_STORE.`,
    );

    const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: key.keyId, KeySpec: 'AES_256' }));
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }));
    expect(Buffer.from(opened.Plaintext ?? []).equals(Buffer.from(dataKey.Plaintext ?? []))).toBe(true);

    // Double encryption: without the external key, kmsd's own layer alone opens nothing.
    const external = proxy.keys.get('lifecycle-key');
    proxy.keys.delete('lifecycle-key');
    await expectAwsError(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context })),
      'KMSInvalidStateException',
      /external key was not found/,
    );
    if (external) proxy.keys.set('lifecycle-key', external);

    expect((await disconnect(storeId)).ConnectionState).toBe('DISCONNECTED');
    await expectAwsError(
      kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: plaintext })),
      'KMSInvalidStateException',
      `${key.arn} is unavailable.`,
    );
    await expectAwsError(
      kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId })),
      'CustomKeyStoreHasCMKsException',
      /contains 1 KMS key/,
    );
  });

  it('deletes a disconnected store without keys', async () => {
    const storeId = await createStore('xks-delete');
    await kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    expect(await storeCount()).toBe(0);
  });
});

describe('CreateCustomKeyStore for external key stores', () => {
  it('answers the proxy-derived errors and stores nothing', async () => {
    const wrongCredential = newXksCredential();
    await expectAwsError(
      kms.send(
        new CreateCustomKeyStoreCommand(
          storeInput('bad-cred', {
            XksProxyAuthenticationCredential: {
              AccessKeyId: wrongCredential.accessKeyId,
              RawSecretAccessKey: wrongCredential.secretAccessKey,
            },
          }),
        ),
      ),
      'XksProxyIncorrectAuthenticationCredentialException',
      /could not authenticate/,
    );
    await expectAwsError(
      kms.send(new CreateCustomKeyStoreCommand(storeInput('bad-path', { XksProxyUriPath: '/tenant-a/kms/xks/v1' }))),
      'XksProxyInvalidConfigurationException',
      'The external key store proxy does not serve the path /tenant-a/kms/xks/v1.',
    );
    await expectAwsError(
      kms.send(new CreateCustomKeyStoreCommand(storeInput('down', { XksProxyUriEndpoint: DOWN }))),
      'XksProxyUriUnreachableException',
      `KMS cannot communicate with the external key store proxy at ${DOWN}.`,
    );
    proxy.ekmHealth = 'UNAVAILABLE';
    await expectAwsError(
      kms.send(new CreateCustomKeyStoreCommand(storeInput('no-ekm'))),
      'XksProxyUriUnreachableException',
      /cannot communicate/,
    );
    proxy.ekmHealth = 'ACTIVE';
    expect(await storeCount()).toBe(0);
  });

  it('validates the members as AWS does', async () => {
    await expectAwsError(
      kms.send(new CreateCustomKeyStoreCommand(storeInput('no-cred', { XksProxyAuthenticationCredential: undefined }))),
      'ValidationException',
      "1 validation error detected: Value null at 'xksProxyAuthenticationCredential' failed to satisfy constraint: Member must not be null",
    );
    await expectAwsError(
      kms.send(
        new CreateCustomKeyStoreCommand(
          storeInput('short-id', {
            XksProxyAuthenticationCredential: { AccessKeyId: 'ABC', RawSecretAccessKey: proxy.credential.secretAccessKey },
          }),
        ),
      ),
      'ValidationException',
      /accessKeyId/,
    );
    await expectAwsError(
      kms.send(new CreateCustomKeyStoreCommand(storeInput('port', { XksProxyUriEndpoint: 'https://xks.example.com:8443' }))),
      'ValidationException',
      /xksProxyUriEndpoint/,
    );
    await expectAwsError(
      kms.send(new CreateCustomKeyStoreCommand(storeInput('cluster', { CloudHsmClusterId: 'cluster-abcdefghijk' }))),
      'ValidationException',
      'CloudHsmClusterId is valid only for custom key stores of type AWS_CLOUDHSM.',
    );
    expect(await storeCount()).toBe(0);
  });

  it('refuses a second store on the same endpoint and path, and a taken name', async () => {
    const first = await createStore('xks-unique');
    await expectAwsError(
      kms.send(new CreateCustomKeyStoreCommand(storeInput('xks-unique-2'))),
      'XksProxyUriInUseException',
      `The XKS proxy URI ${ENDPOINT}/kms/xks/v1 is already used by custom key store ${first}.`,
    );
    await expectAwsError(
      kms.send(new CreateCustomKeyStoreCommand(storeInput('xks-unique'))),
      'CustomKeyStoreNameInUseException',
      /already in use/,
    );
    expect(await storeCount()).toBe(1);
  });
});

describe('VPC_ENDPOINT_SERVICE connectivity', () => {
  const serviceName = async (suffix = '0123456789abcdef0') => `com.amazonaws.vpce.${await kms.config.region()}.vpce-svc-${suffix}`;
  const vpcInput = async (name: string, overrides: Partial<CreateCustomKeyStoreCommandInput> = {}) =>
    storeInput(name, {
      XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
      XksProxyUriEndpoint: PRIVATE,
      XksProxyVpcEndpointServiceName: await serviceName(),
      ...overrides,
    });

  it('records the service, calls the proxy first at Connect, and its keys work', async () => {
    const calls = proxy.requests.length;
    const { CustomKeyStoreId: storeId } = await kms.send(new CreateCustomKeyStoreCommand(await vpcInput('xks-vpc')));
    if (!storeId) throw new Error('no id');
    // AWS talks to a VPC store's proxy only once Connect has set up the interface endpoint.
    expect(proxy.requests.length).toBe(calls);
    expect((await describeStore(storeId)).XksProxyConfiguration).toEqual({
      Connectivity: 'VPC_ENDPOINT_SERVICE',
      AccessKeyId: proxy.credential.accessKeyId,
      UriEndpoint: PRIVATE,
      UriPath: '/kms/xks/v1',
      VpcEndpointServiceName: await serviceName(),
      // Not given: the caller's account, as the model says.
      VpcEndpointServiceOwner: '111122223333',
    });
    expect((await connect(storeId)).ConnectionState).toBe('CONNECTED');
    expect(proxy.requests.at(-1)?.requestMetadata.kmsOperation).toBe('ConnectCustomKeyStore');
    proxy.addKey('vpc-key');
    const key = await createXksKey(storeId, 'vpc-key');
    const enc = await kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: Buffer.from('through the endpoint service') }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? []).toString()).toBe('through the endpoint service');
  });

  it('applies the model rules for the connectivity members and the uniqueness rules', async () => {
    await expectAwsError(
      kms.send(new CreateCustomKeyStoreCommand(await vpcInput('no-service', { XksProxyVpcEndpointServiceName: undefined }))),
      'ValidationException',
      'XksProxyVpcEndpointServiceName is required when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.',
    );
    await expectAwsError(
      kms.send(new CreateCustomKeyStoreCommand(storeInput('public-with-service', { XksProxyVpcEndpointServiceOwner: '444455556666' }))),
      'ValidationException',
      'XksProxyVpcEndpointServiceName and XksProxyVpcEndpointServiceOwner are valid only with XksProxyConnectivity VPC_ENDPOINT_SERVICE.',
    );
    await expectAwsError(
      kms.send(
        new CreateCustomKeyStoreCommand(await vpcInput('bad-form', { XksProxyVpcEndpointServiceName: 'vpce-svc-0123456789abcdef0' })),
      ),
      'ValidationException',
      /xksProxyVpcEndpointServiceName' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
    const elsewhere = 'com.amazonaws.vpce.ap-southeast-2.vpce-svc-0123456789abcdef0';
    await expectAwsError(
      kms.send(new CreateCustomKeyStoreCommand(await vpcInput('elsewhere', { XksProxyVpcEndpointServiceName: elsewhere }))),
      'XksProxyVpcEndpointServiceNotFoundException',
      `KMS cannot find the VPC endpoint service ${elsewhere} in Region ${await kms.config.region()}.`,
    );
    expect(await storeCount()).toBe(0);

    const { CustomKeyStoreId: vpcStore } = await kms.send(
      new CreateCustomKeyStoreCommand(await vpcInput('vpc-1', { XksProxyVpcEndpointServiceOwner: '444455556666' })),
    );
    await expectAwsError(
      kms.send(
        new CreateCustomKeyStoreCommand(
          await vpcInput('vpc-2', { XksProxyUriEndpoint: PRIVATE_2, XksProxyVpcEndpointServiceOwner: '444455556666' }),
        ),
      ),
      'XksProxyVpcEndpointServiceInUseException',
      `The VPC endpoint service ${await serviceName()} is already associated with custom key store ${vpcStore}.`,
    );
    // Another private DNS name, the same path: still one store per private DNS name.
    await expectAwsError(
      kms.send(
        new CreateCustomKeyStoreCommand(
          await vpcInput('vpc-3', { XksProxyUriPath: '/other/kms/xks/v1', XksProxyVpcEndpointServiceName: await serviceName('1111') }),
        ),
      ),
      'XksProxyUriEndpointInUseException',
      new RegExp(`^The XksProxyUriEndpoint ${PRIVATE} is already used by custom key store ${vpcStore}\\.`),
    );
    // A public store cannot use a VPC store's endpoint either.
    await expectAwsError(
      kms.send(
        new CreateCustomKeyStoreCommand(
          storeInput('public-on-private', { XksProxyUriEndpoint: PRIVATE, XksProxyUriPath: '/other/kms/xks/v1' }),
        ),
      ),
      'XksProxyUriEndpointInUseException',
      /is already used by custom key store/,
    );
    expect(await storeCount()).toBe(1);
  });

  it('switches a disconnected store between public and VPC connectivity', async () => {
    const storeId = await createStore('xks-switch');
    const update = (input: Omit<ConstructorParameters<typeof UpdateCustomKeyStoreCommand>[0], 'CustomKeyStoreId'>) =>
      kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, ...input }));
    await expectAwsError(
      update({ XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE', XksProxyVpcEndpointServiceName: await serviceName() }),
      'ValidationException',
      'To change XksProxyConnectivity to VPC_ENDPOINT_SERVICE, you must also change the XksProxyUriEndpoint.',
    );
    await expectAwsError(
      update({ XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE', XksProxyUriEndpoint: PRIVATE }),
      'ValidationException',
      'To change XksProxyConnectivity to VPC_ENDPOINT_SERVICE, you must also give XksProxyVpcEndpointServiceName.',
    );
    await expectAwsError(
      update({ XksProxyVpcEndpointServiceName: await serviceName() }),
      'ValidationException',
      /valid only with XksProxyConnectivity VPC_ENDPOINT_SERVICE/,
    );
    await update({
      XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE',
      XksProxyUriEndpoint: PRIVATE,
      XksProxyVpcEndpointServiceName: await serviceName(),
    });
    expect((await describeStore(storeId)).XksProxyConfiguration).toMatchObject({
      Connectivity: 'VPC_ENDPOINT_SERVICE',
      UriEndpoint: PRIVATE,
      VpcEndpointServiceName: await serviceName(),
      VpcEndpointServiceOwner: '111122223333',
    });

    expect((await connect(storeId)).ConnectionState).toBe('CONNECTED');
    await expectAwsError(
      update({ XksProxyVpcEndpointServiceName: await serviceName('2222') }),
      'CustomKeyStoreInvalidStateException',
      `Custom key store ${storeId} is in the CONNECTED connection state. To update the XksProxyUriEndpoint, XksProxyConnectivity or VPC endpoint service of an external key store, its connection state must be DISCONNECTED.`,
    );
    await disconnect(storeId);

    const calls = proxy.requests.length;
    await update({ XksProxyConnectivity: 'PUBLIC_ENDPOINT', XksProxyUriEndpoint: ENDPOINT });
    // Back on a public endpoint: KMS checks the proxy before it accepts the change.
    expect(proxy.requests.slice(calls).map((r) => r.requestMetadata.kmsOperation)).toEqual(['UpdateCustomKeyStore']);
    const config = (await describeStore(storeId)).XksProxyConfiguration;
    expect(config).toMatchObject({ Connectivity: 'PUBLIC_ENDPOINT', UriEndpoint: ENDPOINT });
    expect(config?.VpcEndpointServiceName).toBeUndefined();
    expect(config?.VpcEndpointServiceOwner).toBeUndefined();
  });
});

describe('ConnectCustomKeyStore for external key stores', () => {
  it('fails with the ConnectionErrorCode of each real failure', async () => {
    const storeId = await createStore('xks-connect');
    const attempt = async (setup: () => void) => {
      setup();
      const entry = await connect(storeId);
      proxy.delayMs = 0;
      proxy.ekmHealth = 'ACTIVE';
      proxy.failWith = undefined;
      await disconnect(storeId);
      return entry;
    };
    // A proxy whose authorization rules wrongly cover GetHealthStatus (kmsd xks-proxy exempts it).
    expect(await attempt(() => (proxy.failWith = { status: 403, errorName: 'AccessDeniedException' }))).toMatchObject({
      ConnectionState: 'FAILED',
      ConnectionErrorCode: 'XKS_PROXY_ACCESS_DENIED',
    });
    expect(await attempt(() => (proxy.failWith = { status: 500, errorName: 'InternalException' }))).toMatchObject({
      ConnectionState: 'FAILED',
      ConnectionErrorCode: 'XKS_PROXY_INVALID_RESPONSE',
    });
    expect(await attempt(() => (proxy.ekmHealth = 'UNAVAILABLE'))).toMatchObject({
      ConnectionState: 'FAILED',
      ConnectionErrorCode: 'XKS_PROXY_NOT_REACHABLE',
    });
    expect(await attempt(() => (proxy.delayMs = 1000))).toMatchObject({
      ConnectionState: 'FAILED',
      ConnectionErrorCode: 'XKS_PROXY_TIMED_OUT',
    });
    expect(await attempt(() => (proxy.uriPath = '/moved/kms/xks/v1'))).toMatchObject({
      ConnectionState: 'FAILED',
      ConnectionErrorCode: 'XKS_PROXY_INVALID_CONFIGURATION',
    });
    proxy.uriPath = '/kms/xks/v1';
    expect(await attempt(() => (proxy.garbled = true))).toMatchObject({
      ConnectionState: 'FAILED',
      ConnectionErrorCode: 'XKS_PROXY_INVALID_RESPONSE',
    });
    proxy.garbled = false;
    const saved = proxy.credential;
    expect(await attempt(() => (proxy.credential = newXksCredential()))).toMatchObject({
      ConnectionState: 'FAILED',
      ConnectionErrorCode: 'INVALID_CREDENTIALS',
    });
    proxy.credential = saved;
    const ok = await connect(storeId);
    expect(ok.ConnectionState).toBe('CONNECTED');
    expect(ok.ConnectionErrorCode).toBeUndefined();
  });

  it('reports XKS_PROXY_NOT_REACHABLE once the proxy is stopped', async () => {
    const { CustomKeyStoreId: storeId } = await kms.send(
      new CreateCustomKeyStoreCommand(
        storeInput('xks-gone', {
          XksProxyUriEndpoint: GONE,
          XksProxyAuthenticationCredential: {
            AccessKeyId: goneProxy.credential.accessKeyId,
            RawSecretAccessKey: goneProxy.credential.secretAccessKey,
          },
        }),
      ),
    );
    if (!storeId) throw new Error('no id');
    await goneProxy.close();
    expect(await connect(storeId)).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: 'XKS_PROXY_NOT_REACHABLE' });
  });
});

describe('CreateKey in an external key store', () => {
  it('checks the external key through GetKeyMetadata', async () => {
    const storeId = await createStore('xks-keys');
    proxy.addKey('ok-key');
    await expectAwsError(
      kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: 'ok-key' })),
      'CustomKeyStoreInvalidStateException',
      `Custom key store ${storeId} is in the DISCONNECTED connection state. You can create KMS keys in a custom key store only when it is CONNECTED.`,
    );
    await connect(storeId);
    await expectAwsError(
      kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: 'missing-key' })),
      'XksKeyNotFoundException',
      'The external key store proxy did not find an external key with ID missing-key.',
    );
    proxy.addKey('hmac-key', { keySpec: 'HMAC_256' });
    await expectAwsError(
      kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: 'hmac-key' })),
      'XksKeyInvalidConfigurationException',
      'The external key hmac-key must be an AES_256 key that allows ENCRYPT and DECRYPT.',
    );
    proxy.addKey('off-key', { keyStatus: 'DISABLED' });
    await expectAwsError(
      kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: 'off-key' })),
      'XksKeyInvalidConfigurationException',
      'The external key off-key is not enabled.',
    );
    await createXksKey(storeId, 'ok-key');
    await expectAwsError(
      kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: 'ok-key' })),
      'XksKeyAlreadyInUseException',
      `The external key ok-key is already associated with a KMS key in custom key store ${storeId}.`,
    );
    expect(proxy.requests.at(-1)?.requestMetadata.kmsOperation).toBe('CreateKey');
  });

  it('turns a failing proxy into KMSInvalidStateException on Encrypt', async () => {
    const storeId = await createStore('xks-crypto-fail');
    await connect(storeId);
    proxy.addKey('slow-key');
    const key = await createXksKey(storeId, 'slow-key');
    proxy.delayMs = 1000;
    await expectAwsError(
      kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: Buffer.from('x') })),
      'KMSInvalidStateException',
      'The external key store proxy could not complete the request: the proxy timed out.',
    );
    proxy.delayMs = 0;
    const external = proxy.keys.get('slow-key');
    if (external) external.keyStatus = 'DISABLED';
    await expectAwsError(
      kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: Buffer.from('x') })),
      'KMSInvalidStateException',
      'The external key store proxy could not complete the request: the external key is not enabled.',
    );
  });
});

describe('UpdateCustomKeyStore for external key stores', () => {
  it('moves a store to a new proxy path and credential while disconnected; its keys keep working', async () => {
    const storeId = await createStore('xks-update');
    await connect(storeId);
    proxy.addKey('update-key');
    const key = await createXksKey(storeId, 'update-key');
    const enc = await kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: Buffer.from('before the move') }));
    await expectAwsError(
      kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, XksProxyUriEndpoint: 'https://other.example.com' })),
      'CustomKeyStoreInvalidStateException',
      `Custom key store ${storeId} is in the CONNECTED connection state. To update the XksProxyUriEndpoint, XksProxyConnectivity or VPC endpoint service of an external key store, its connection state must be DISCONNECTED.`,
    );
    await kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, NewCustomKeyStoreName: 'xks-update-renamed' }));
    await disconnect(storeId);

    // The proxy operator moves it under a prefix and rotates the credential.
    proxy.uriPath = '/tenant-b/kms/xks/v1';
    proxy.credential = newXksCredential();
    await expectAwsError(
      kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, XksProxyUriPath: '/tenant-b/kms/xks/v1' })),
      'XksProxyIncorrectAuthenticationCredentialException',
      /could not authenticate/,
    );
    const stale = newXksCredential();
    await expectAwsError(
      kms.send(
        new UpdateCustomKeyStoreCommand({
          CustomKeyStoreId: storeId,
          XksProxyAuthenticationCredential: { AccessKeyId: stale.accessKeyId, RawSecretAccessKey: stale.secretAccessKey },
        }),
      ),
      'XksProxyInvalidConfigurationException',
      'The external key store proxy does not serve the path /kms/xks/v1.',
    );
    expect((await describeStore(storeId)).XksProxyConfiguration).toMatchObject({
      AccessKeyId: credential.accessKeyId,
      UriPath: '/kms/xks/v1',
    });

    await kms.send(
      new UpdateCustomKeyStoreCommand({
        CustomKeyStoreId: storeId,
        XksProxyUriPath: '/tenant-b/kms/xks/v1',
        XksProxyAuthenticationCredential: {
          AccessKeyId: proxy.credential.accessKeyId,
          RawSecretAccessKey: proxy.credential.secretAccessKey,
        },
      }),
    );
    expect(proxy.requests.at(-1)?.requestMetadata.kmsOperation).toBe('UpdateCustomKeyStore');
    const entry = await connect(storeId);
    expect(entry).toMatchObject({
      CustomKeyStoreName: 'xks-update-renamed',
      ConnectionState: 'CONNECTED',
      XksProxyConfiguration: { AccessKeyId: proxy.credential.accessKeyId, UriPath: '/tenant-b/kms/xks/v1' },
    });
    const region = await kms.config.region();
    const row = await customKeyStoreTable(t.kmsd.store).get({ account: '111122223333', region }, storeId);
    expect(JSON.stringify(row)).not.toContain(proxy.credential.secretAccessKey);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? []).toString()).toBe('before the move');
    expect(proxy.requests.at(-1)?.path).toBe('/tenant-b/kms/xks/v1/keys/update-key/decrypt');
  });
});

describe('periodic health checks of connected external key stores', () => {
  it('polls the proxy with KmsHealthCheck on the interval, records problems and keeps the store CONNECTED', async () => {
    const checked = await startXksProxy();
    const private_ = await startKmsd({
      keyStoreTransitionMs: 0,
      xksHealthCheckIntervalMs: 60_000,
      xksProxyEndpoints: { [ENDPOINT]: checked.url },
    });
    try {
      const client = private_.kms();
      const input = {
        ...storeInput('xks-health'),
        XksProxyAuthenticationCredential: {
          AccessKeyId: checked.credential.accessKeyId,
          RawSecretAccessKey: checked.credential.secretAccessKey,
        },
      };
      const { CustomKeyStoreId: storeId } = await client.send(new CreateCustomKeyStoreCommand(input));
      if (!storeId) throw new Error('no id');
      const healthChecks = () => checked.requests.filter((r) => r.requestMetadata.kmsOperation === 'KmsHealthCheck').length;
      const row = () => customKeyStoreTable(private_.kmsd.store).get({ account: '111122223333', region: 'us-east-1' }, storeId);
      // Disconnected: never polled.
      await private_.advanceClock(120);
      expect(healthChecks()).toBe(0);

      await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
      await private_.advanceClock(0);
      expect((await row())?.health).toEqual({ checkedAt: expect.any(Number) });
      await private_.advanceClock(30);
      expect(healthChecks()).toBe(0);
      await private_.advanceClock(31);
      expect(healthChecks()).toBe(1);
      expect(checked.requests.at(-1)?.path).toBe('/kms/xks/v1/health');
      // A rename (saved while CONNECTED) keeps the store scheduled.
      await client.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, NewCustomKeyStoreName: 'xks-health-2' }));

      checked.ekmHealth = 'UNAVAILABLE';
      await private_.advanceClock(61);
      expect(healthChecks()).toBe(2);
      expect((await row())?.health?.errorCode).toBe('XKS_PROXY_NOT_REACHABLE');
      const { CustomKeyStores } = await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId }));
      expect(CustomKeyStores?.[0]).toMatchObject({ ConnectionState: 'CONNECTED' });
      expect(CustomKeyStores?.[0]?.ConnectionErrorCode).toBeUndefined();

      checked.ekmHealth = 'ACTIVE';
      await private_.advanceClock(61);
      expect(healthChecks()).toBe(3);
      expect((await row())?.health?.errorCode).toBeUndefined();

      await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
      await private_.advanceClock(0);
      await private_.advanceClock(300);
      expect(healthChecks()).toBe(3);
    } finally {
      await private_.close();
      await checked.close();
    }
  });
});

describe('external key stores across a restart', () => {
  it('stay CONNECTED without a new health check, and their keys still decrypt', async () => {
    const rootKey = Buffer.alloc(32, 9).toString('base64');
    const endpoints = { [ENDPOINT]: proxy.url };
    const first = await startKmsd({
      keyStoreTransitionMs: 0,
      xksHealthCheckIntervalMs: 0,
      persistent: true,
      rootKey,
      xksProxyEndpoints: endpoints,
    });
    const dataDir = first.dataDir;
    try {
      const client = first.kms();
      const { CustomKeyStoreId } = await client.send(new CreateCustomKeyStoreCommand(storeInput('xks-restart')));
      await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId }));
      await first.advanceClock(0);
      proxy.addKey('restart-key');
      const { KeyMetadata } = await client.send(
        new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId, XksKeyId: 'restart-key' }),
      );
      const enc = await client.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('after restart') }));
      await first.close();

      const again = await startKmsd({
        keyStoreTransitionMs: 0,
        xksHealthCheckIntervalMs: 0,
        persistent: true,
        dataDir,
        rootKey,
        xksProxyEndpoints: endpoints,
      });
      try {
        const { CustomKeyStores } = await again.kms().send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId }));
        expect(CustomKeyStores?.[0]?.ConnectionState).toBe('CONNECTED');
        const dec = await again.kms().send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
        expect(Buffer.from(dec.Plaintext ?? []).toString()).toBe('after restart');
      } finally {
        await again.close();
      }
    } finally {
      removeDir(dataDir);
    }
  });
});

describe('external key stores with /usr/bin/aws', () => {
  it('creates, connects and describes a store, and creates a key in it', async () => {
    const env = { AWS_DEFAULT_REGION: 'sa-east-1' };
    const cli = (args: string[]) => awsCli(t.url, ['kms', ...args], env);
    const { accessKeyId, secretAccessKey } = proxy.credential;
    const created = await cli([
      'create-custom-key-store',
      '--custom-key-store-name',
      'xks-cli',
      '--custom-key-store-type',
      'EXTERNAL_KEY_STORE',
      '--xks-proxy-connectivity',
      'PUBLIC_ENDPOINT',
      '--xks-proxy-uri-endpoint',
      ENDPOINT,
      '--xks-proxy-uri-path',
      '/kms/xks/v1',
      '--xks-proxy-authentication-credential',
      `AccessKeyId=${accessKeyId},RawSecretAccessKey=${secretAccessKey}`,
    ]);
    expect(created.stderr).toBe('');
    const storeId = (created.json as { CustomKeyStoreId: string }).CustomKeyStoreId;
    expect((await cli(['connect-custom-key-store', '--custom-key-store-id', storeId])).code).toBe(0);
    await t.advanceClock(0);
    const described = await cli(['describe-custom-key-stores', '--custom-key-store-id', storeId]);
    expect(described.json).toMatchObject({
      CustomKeyStores: [
        {
          CustomKeyStoreId: storeId,
          CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
          ConnectionState: 'CONNECTED',
          XksProxyConfiguration: {
            Connectivity: 'PUBLIC_ENDPOINT',
            AccessKeyId: accessKeyId,
            UriEndpoint: ENDPOINT,
            UriPath: '/kms/xks/v1',
          },
        },
      ],
    });
    expect(described.stdout).not.toContain(secretAccessKey);
    proxy.addKey('cli-key');
    const key = await cli(['create-key', '--origin', 'EXTERNAL_KEY_STORE', '--custom-key-store-id', storeId, '--xks-key-id', 'cli-key']);
    const keyMetadata = (key.json as { KeyMetadata: { KeyId: string; XksKeyConfiguration: unknown } }).KeyMetadata;
    expect(keyMetadata.XksKeyConfiguration).toEqual({ Id: 'cli-key' });
  });
});
