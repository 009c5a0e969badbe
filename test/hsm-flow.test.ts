/**
 * The operator's whole path through real clients: a cluster made with
 * @aws-sdk/client-cloudhsm-v2 (CreateCluster, CreateHsm, openssl-signed InitializeCluster),
 * activated and given a kmsuser with `kmsd hsm`, backed up on DeleteHsm, restored into a new
 * cluster that has the users (with the passwords current at backup time), and deleted; then
 * an AWS KMS custom key store on such a cluster, with kmsuser handled as the KMS docs say.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateClusterCommand,
  CreateHsmCommand,
  DeleteClusterCommand,
  DeleteHsmCommand,
  DescribeBackupsCommand,
  DescribeClustersCommand,
  InitializeClusterCommand,
} from '@aws-sdk/client-cloudhsm-v2';
import type { CloudHSMV2Client, Cluster } from '@aws-sdk/client-cloudhsm-v2';
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
import { OpensslWorkspace } from './helpers/openssl.js';
import { defaultConfig } from '../src/config.js';

const ADMIN_PW = 'admin-pw-123';

let t: TestKmsd;
let api: CloudHSMV2Client;
const ssl = new OpensslWorkspace();

beforeAll(async () => {
  t = await startKmsd({ config: { ...defaultConfig(), cloudhsm: { transitionMs: 0 } }, keyStoreTransitionMs: 0 });
  api = t.cloudhsm();
});
afterAll(async () => t.close());

async function describeCluster(id: string): Promise<Cluster> {
  const { Clusters } = await api.send(new DescribeClustersCommand({ Filters: { clusterIds: [id] } }));
  return Clusters?.[0] ?? {};
}

async function newCluster(sourceBackupId?: string): Promise<string> {
  const { Cluster } = await api.send(
    new CreateClusterCommand({
      HsmType: 'hsm2m.medium',
      SubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-1a2b3c4d'],
      SourceBackupId: sourceBackupId,
    }),
  );
  const id = Cluster?.ClusterId ?? '';
  await api.send(new CreateHsmCommand({ ClusterId: id, AvailabilityZone: 'us-east-1a' }));
  return id;
}

describe('an HSM cluster from the CloudHSM V2 API, managed with kmsd hsm', () => {
  let clusterId: string;
  let restoredId: string;
  const adminOf = (id: string) => ['--cluster-id', id, '--admin-password', ADMIN_PW];
  const asKmsuser = (id: string, password: string) => ['--cluster-id', id, '--username', 'kmsuser', '--password', password];

  it('activates an initialized cluster and creates kmsuser', async () => {
    clusterId = await newCluster();
    await api.send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: 'us-east-1b' }));
    const refused = await hsmCli(t.url, ['cluster', 'activate', '--cluster-id', clusterId, '--password', ADMIN_PW]);
    expect(refused.stderr).toBe(
      `kmsd hsm: CloudHsmInvalidRequestException: Cluster ${clusterId} is in state UNINITIALIZED; only an INITIALIZED cluster can be activated.\n`,
    );
    const ca = await ssl.makeCa('customer-ca');
    const csr = (await describeCluster(clusterId)).Certificates?.ClusterCsr ?? '';
    const signed = await ssl.signCsr(ca, csr);
    await api.send(new InitializeClusterCommand({ ClusterId: clusterId, SignedCert: signed, TrustAnchor: ca.pem }));
    expect((await describeCluster(clusterId)).State).toBe('INITIALIZED');

    const activated = await hsmCli(t.url, ['cluster', 'activate', '--cluster-id', clusterId, '--password', ADMIN_PW]);
    expect(activated.json).toEqual({ ClusterId: clusterId, State: 'ACTIVE' });
    expect((await describeCluster(clusterId)).State).toBe('ACTIVE');
    const created = await hsmCli(t.url, [
      'user',
      'create',
      ...adminOf(clusterId),
      '--username',
      'kmsuser',
      '--role',
      'crypto-user',
      '--password',
      'at-backup-1',
    ]);
    expect(created.code).toBe(0);
  });

  it('restores users into a cluster created from a backup, with the passwords current at backup time', async () => {
    const hsmId = (await describeCluster(clusterId)).Hsms?.[1]?.HsmId ?? '';
    await api.send(new DeleteHsmCommand({ ClusterId: clusterId, HsmId: hsmId }));
    const { Backups } = await api.send(new DescribeBackupsCommand({ Filters: { clusterIds: [clusterId] } }));
    const backupId = Backups?.at(-1)?.BackupId ?? '';
    expect(backupId).toMatch(/^backup-/);
    const change = ['user', 'change-password', ...adminOf(clusterId), '--username', 'kmsuser', '--role', 'crypto-user'];
    expect((await hsmCli(t.url, [...change, '--password', 'after-backup-2'])).code).toBe(0);

    restoredId = await newCluster(backupId);
    const restored = await describeCluster(restoredId);
    expect(restored.State).toBe('ACTIVE');
    expect(restored.Certificates?.ClusterCertificate).toBe((await describeCluster(clusterId)).Certificates?.ClusterCertificate);
    expect((await hsmCli(t.url, ['user', 'list', ...adminOf(restoredId)])).json).toEqual({
      Users: [
        { Username: 'admin', Role: 'admin', LockedOut: false, LoggedIn: false },
        { Username: 'kmsuser', Role: 'crypto-user', LockedOut: false, LoggedIn: false },
      ],
    });
    expect((await hsmCli(t.url, ['key', 'list', ...asKmsuser(restoredId, 'at-backup-1')])).json).toEqual({ Keys: [] });
    const newer = await hsmCli(t.url, ['key', 'list', ...asKmsuser(restoredId, 'after-backup-2')]);
    expect(newer.stderr).toMatch(/^kmsd hsm: CloudHsmAccessDeniedException: Invalid password for crypto-user 'kmsuser'/);
    // The original cluster keeps its own, newer password.
    expect((await hsmCli(t.url, ['key', 'list', ...asKmsuser(clusterId, 'after-backup-2')])).code).toBe(0);
  });

  it('needs an ACTIVE HSM, and forgets users once the cluster is deleted', async () => {
    const hsmId = (await describeCluster(clusterId)).Hsms?.[0]?.HsmId ?? '';
    await api.send(new DeleteHsmCommand({ ClusterId: clusterId, HsmId: hsmId }));
    const noHsm = await hsmCli(t.url, ['user', 'list', ...adminOf(clusterId)]);
    expect(noHsm.stderr).toBe(`kmsd hsm: CloudHsmInvalidRequestException: Cluster ${clusterId} has no ACTIVE HSM to connect to.\n`);
    await api.send(new DeleteClusterCommand({ ClusterId: clusterId }));
    const gone = await hsmCli(t.url, ['user', 'list', ...adminOf(clusterId)]);
    expect(gone.stderr).toBe(`kmsd hsm: CloudHsmResourceNotFoundException: Cluster ${clusterId} not found.\n`);
    // The restored cluster is independent of the deleted one.
    expect((await hsmCli(t.url, ['user', 'list', ...adminOf(restoredId)])).code).toBe(0);
  });
});

describe('kmsuser for an AWS KMS custom key store, on the emulated HSMs', () => {
  let kms: KMSClient;
  let storeId: string;

  async function storeEntry(): Promise<CustomKeyStoresListEntry> {
    const { CustomKeyStores } = await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId }));
    return CustomKeyStores?.[0] ?? {};
  }
  async function connect(): Promise<CustomKeyStoresListEntry> {
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await t.advanceClock(0);
    return storeEntry();
  }
  async function disconnect(): Promise<void> {
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await t.advanceClock(0);
  }

  it('KMS holds kmsuser while connected; the operator resets its password to see the keys', async () => {
    kms = t.kms();
    const clusterId = await newCluster();
    await api.send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: 'us-east-1b' }));
    const ca = await ssl.makeCa('kms-customer-ca');
    const signed = await ssl.signCsr(ca, (await describeCluster(clusterId)).Certificates?.ClusterCsr ?? '');
    await api.send(new InitializeClusterCommand({ ClusterId: clusterId, SignedCert: signed, TrustAnchor: ca.pem }));
    const admin = ['--cluster-id', clusterId, '--admin-password', ADMIN_PW];
    const user = (password: string) => [
      '--cluster-id',
      clusterId,
      '--username',
      'kmsuser',
      '--role',
      'crypto-user',
      '--password',
      password,
    ];
    expect((await hsmCli(t.url, ['cluster', 'activate', '--cluster-id', clusterId, '--password', ADMIN_PW])).code).toBe(0);
    expect((await hsmCli(t.url, ['user', 'create', ...admin, ...user('kmsPswd1')])).code).toBe(0);

    const created = await kms.send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: 'on-emulated-hsms',
        CloudHsmClusterId: clusterId,
        TrustAnchorCertificate: ca.pem,
        KeyStorePassword: 'kmsPswd1',
      }),
    );
    storeId = created.CustomKeyStoreId ?? '';

    // Someone else is logged in as kmsuser: KMS cannot connect.
    expect((await hsmCli(t.url, ['login', ...user('kmsPswd1')])).code).toBe(0);
    expect(await connect()).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: 'USER_LOGGED_IN' });
    expect((await hsmCli(t.url, ['logout', ...user('kmsPswd1')])).code).toBe(0);
    await disconnect();
    expect(await connect()).toMatchObject({ ConnectionState: 'CONNECTED' });

    // Connected: KMS holds kmsuser's session; nobody may change its password.
    expect((await hsmCli(t.url, ['user', 'list', ...admin])).json).toMatchObject({ Users: [{}, { Username: 'kmsuser', LoggedIn: true }] });
    const refused = await hsmCli(t.url, ['user', 'change-password', ...admin, ...user('operator-pw1')]);
    expect(refused.stderr).toBe(
      "kmsd hsm: CloudHsmInvalidRequestException: User 'kmsuser' is logged in elsewhere (by AWS KMS for a connected custom key store); disconnect the key store before you change its password.\n",
    );
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId }));
    const enc = await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('sealed in the hsm') }));

    // The documented procedure: disconnect, reset kmsuser's password (KMS rotated it), log in.
    await disconnect();
    expect((await hsmCli(t.url, ['user', 'list', ...admin])).json).toMatchObject({ Users: [{}, { Username: 'kmsuser', LoggedIn: false }] });
    expect(
      (await hsmCli(t.url, ['key', 'list', '--cluster-id', clusterId, '--username', 'kmsuser', '--password', 'kmsPswd1'])).stderr,
    ).toMatch(/^kmsd hsm: CloudHsmAccessDeniedException: Invalid password for crypto-user 'kmsuser'/);
    expect((await hsmCli(t.url, ['user', 'change-password', ...admin, ...user('operator-pw1')])).code).toBe(0);
    const keys = await hsmCli(t.url, ['key', 'list', '--cluster-id', clusterId, '--username', 'kmsuser', '--password', 'operator-pw1']);
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

    // Tell KMS the current password and reconnect: the old ciphertext decrypts again.
    await kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, KeyStorePassword: 'operator-pw1' }));
    expect(await connect()).toMatchObject({ ConnectionState: 'CONNECTED' });
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe('sealed in the hsm');
  });
});
