/**
 * `kmsd hsm` on clusters made through the real CloudHSM V2 API (@aws-sdk/client-cloudhsm-v2)
 * and used by a real AWS KMS custom key store: what the operator sees before initialization,
 * after the HSMs are gone, and while KMS holds kmsuser. Backups and restores of HSM contents
 * are covered by cloudhsm-contents.test.ts; key store edits by custom-key-stores-cli.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateClusterCommand, CreateHsmCommand } from '@aws-sdk/client-cloudhsm-v2';
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  EncryptCommand,
  UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import type { CustomKeyStoresListEntry, KMSClient } from '@aws-sdk/client-kms';
import { startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { hsmCli } from './helpers/hsm-cli.js';
import { ADMIN_PASSWORD, SUBNETS, createKeyStoreCluster, deleteHsms, kmsuserArgs, resetKmsuserPassword } from './helpers/cluster.js';
import { defaultConfig } from '../src/config.js';

let t: TestKmsd;

beforeAll(async () => {
  t = await startKmsd({ config: { ...defaultConfig(), cloudhsm: { transitionMs: 0 } }, keyStoreTransitionMs: 0 });
});
afterAll(async () => t.close());

const adminArgs = (clusterId: string) => ['--cluster-id', clusterId, '--admin-password', ADMIN_PASSWORD];

describe('kmsd hsm on clusters of the CloudHSM V2 API', () => {
  it('refuses to activate an UNINITIALIZED cluster, and needs an ACTIVE HSM', async () => {
    const api = t.cloudhsm();
    const { Cluster } = await api.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: SUBNETS }));
    const fresh = Cluster?.ClusterId ?? '';
    await api.send(new CreateHsmCommand({ ClusterId: fresh, AvailabilityZone: 'us-east-1a' }));
    const refused = await hsmCli(t.url, ['cluster', 'activate', '--cluster-id', fresh, '--password', ADMIN_PASSWORD]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `kmsd hsm: CloudHsmInvalidRequestException: Cluster ${fresh} is in state UNINITIALIZED; only an INITIALIZED cluster can be activated.\n`,
    );

    const { clusterId } = await createKeyStoreCluster(t, 'kmsPswd1');
    expect((await hsmCli(t.url, ['user', 'list', ...adminArgs(clusterId)])).json).toMatchObject({ Users: [{}, { Username: 'kmsuser' }] });
    await deleteHsms(t, clusterId);
    const noHsm = await hsmCli(t.url, ['user', 'list', ...adminArgs(clusterId)]);
    expect(noHsm.stderr).toBe(`kmsd hsm: CloudHsmInvalidRequestException: Cluster ${clusterId} has no ACTIVE HSM to connect to.\n`);
  });
});

describe('kmsuser of an AWS KMS custom key store', () => {
  it('is held by KMS while connected; after a password reset the operator sees the KMS key', async () => {
    const kms: KMSClient = t.kms();
    const { clusterId, trustAnchor } = await createKeyStoreCluster(t, 'kmsPswd1');
    const { CustomKeyStoreId: storeId } = await kms.send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: 'on-emulated-hsms',
        CloudHsmClusterId: clusterId,
        TrustAnchorCertificate: trustAnchor,
        KeyStorePassword: 'kmsPswd1',
      }),
    );
    const entry = async (): Promise<CustomKeyStoresListEntry> =>
      (await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId }))).CustomKeyStores?.[0] ?? {};
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await t.advanceClock(0);
    expect(await entry()).toMatchObject({ ConnectionState: 'CONNECTED' });

    // Connected: KMS holds kmsuser's session, and nobody may change its password.
    expect((await hsmCli(t.url, ['user', 'list', ...adminArgs(clusterId)])).json).toMatchObject({
      Users: [{}, { Username: 'kmsuser', LoggedIn: true }],
    });
    const refused = await hsmCli(t.url, [
      'user',
      'change-password',
      ...adminArgs(clusterId),
      ...kmsuserArgs(clusterId, 'operatorPw1').slice(2),
    ]);
    expect(refused.stderr).toBe(
      "kmsd hsm: CloudHsmInvalidRequestException: User 'kmsuser' is logged in elsewhere (by AWS KMS for a connected custom key store); disconnect the key store before you change its password.\n",
    );
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId }));
    const enc = await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('sealed in the hsm') }));

    // The documented procedure: disconnect, reset kmsuser's password (KMS rotated it), log in.
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await t.advanceClock(0);
    await resetKmsuserPassword(t, clusterId, 'operatorPw1');
    const keys = await hsmCli(t.url, ['key', 'list', ...kmsuserArgs(clusterId, 'operatorPw1')]);
    expect(keys.json).toEqual({
      Keys: [
        {
          KeyReference: '0x0000000000000001',
          Label: KeyMetadata?.Arn,
          KeyType: 'aes',
          KeySizeBits: 256,
          Owner: 'kmsuser',
          Extractable: false,
          Persistent: true,
        },
      ],
    });

    // Tell KMS the current password and reconnect: the ciphertext decrypts again.
    await kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, KeyStorePassword: 'operatorPw1' }));
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await t.advanceClock(0);
    expect(await entry()).toMatchObject({ ConnectionState: 'CONNECTED' });
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe('sealed in the hsm');
  });
});
