/**
 * CloudHSM custom key stores through the AWS SDK, against an in-test CloudHSM
 * (test/helpers/fake-clusters.ts): creation rules, the connection state machine with every
 * ConnectionErrorCode kmsd produces, updates, deletion, and KMS keys whose material lives
 * in the cluster.
 */
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
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ScheduleKeyDeletionCommand,
  GenerateRandomCommand,
  UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { removeDir, startKmsd } from './helpers/kmsd.js';
import { keyStoreSteps } from './helpers/key-store-steps.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { FakeClusters, makeTrustChain } from './helpers/fake-clusters.js';
import type { TrustChain } from './helpers/fake-clusters.js';
import { customKeyStoreTable } from '../src/kms/custom-key-stores.js';
import { orphanedHsmKeyTable } from '../src/keystores/cloudhsm-key-backend.js';

let t: TestKmsd;
let kms: KMSClient;
let hsm: FakeClusters;
let chainA: TrustChain;
let chainB: TrustChain;
let clusterSeq = 0;

/** A valid, unique cluster id: `cluster-` + 11 letters. */
function newClusterId(): string {
  let n = clusterSeq++;
  let letters = '';
  for (let i = 0; i < 11; i++) {
    letters += String.fromCharCode(97 + (n % 26));
    n = Math.floor(n / 26);
  }
  return `cluster-${letters}`;
}

/** A fresh ACTIVE cluster with kmsuser (password kmsPswd1) and two HSMs in two AZs. */
async function freshCluster(options: Parameters<FakeClusters['addCluster']>[2] = {}): Promise<{ id: string; chain: TrustChain }> {
  const id = newClusterId();
  const chain = await makeTrustChain(id);
  hsm.addCluster(id, chain, options);
  return { id, chain };
}

async function createStore(name: string, options: Parameters<FakeClusters['addCluster']>[2] = {}, client: KMSClient = kms) {
  const cluster = await freshCluster(options);
  const { CustomKeyStoreId } = await client.send(
    new CreateCustomKeyStoreCommand({
      CustomKeyStoreName: name,
      CloudHsmClusterId: cluster.id,
      TrustAnchorCertificate: cluster.chain.trustAnchorPem,
      KeyStorePassword: 'kmsPswd1',
    }),
  );
  if (!CustomKeyStoreId) throw new Error('no id');
  return { storeId: CustomKeyStoreId, clusterId: cluster.id, chain: cluster.chain };
}

const { describeStore, connect, disconnect } = keyStoreSteps(
  () => kms,
  () => t,
);

beforeAll(async () => {
  hsm = new FakeClusters();
  chainA = await makeTrustChain('a');
  chainB = await makeTrustChain('b');
  t = await startKmsd({ clusters: hsm, keyStoreTransitionMs: 0 });
  kms = t.kms();
});
afterAll(async () => t.close());

// Each test gets its own Region: stores are scoped per account+Region, at most 10 each.
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
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'me-south-1',
  'af-south-1',
];
let testNo = 0;
beforeEach(() => {
  kms = t.kms({ region: REGIONS[testNo++ % REGIONS.length] });
});

describe('CreateCustomKeyStore', () => {
  it('creates a DISCONNECTED store and never returns or stores the password in plaintext', async () => {
    const { storeId, clusterId, chain } = await createStore('create-basic');
    expect(storeId).toMatch(/^cks-[0-9a-f]{17}$/);
    const entry = await describeStore(storeId);
    expect(entry).toMatchObject({
      CustomKeyStoreId: storeId,
      CustomKeyStoreName: 'create-basic',
      CloudHsmClusterId: clusterId,
      TrustAnchorCertificate: chain.trustAnchorPem,
      ConnectionState: 'DISCONNECTED',
      CustomKeyStoreType: 'AWS_CLOUDHSM',
    });
    expect(entry.ConnectionErrorCode).toBeUndefined();
    expect(entry.CreationDate).toBeInstanceOf(Date);
    expect(JSON.stringify(entry)).not.toContain('kmsPswd1');
    const row = await customKeyStoreTable(t.kmsd.store).get({ account: '111122223333', region: await kms.config.region() }, storeId);
    expect(row?.passwordWrapped).toBeDefined();
    expect(JSON.stringify(row)).not.toContain('kmsPswd1');
  });

  it('returns the same id for an identical repeat, and CustomKeyStoreNameInUseException when anything differs', async () => {
    const { storeId, clusterId, chain } = await createStore('create-idempotent');
    const again = await kms.send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: 'create-idempotent',
        CloudHsmClusterId: clusterId,
        TrustAnchorCertificate: chain.trustAnchorPem,
        KeyStorePassword: 'kmsPswd1',
      }),
    );
    expect(again.CustomKeyStoreId).toBe(storeId);
    await expect(
      kms.send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: 'create-idempotent',
          CloudHsmClusterId: clusterId,
          TrustAnchorCertificate: chain.trustAnchorPem,
          KeyStorePassword: 'otherPswd',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'CustomKeyStoreNameInUseException',
      message: 'Custom key store name create-idempotent is already in use.',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('enforces the cluster rules with the modeled exceptions', async () => {
    const create = (name: string, clusterId: string, anchor: string) =>
      kms.send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: name,
          CloudHsmClusterId: clusterId,
          TrustAnchorCertificate: anchor,
          KeyStorePassword: 'kmsPswd1',
        }),
      );
    await expect(create('r1', 'cluster-nosuchclustr', chainA.trustAnchorPem)).rejects.toMatchObject({
      name: 'CloudHsmClusterNotFoundException',
      message: 'AWS CloudHSM cluster cluster-nosuchclustr not found.',
    });
    const uninit = await freshCluster({ state: 'INITIALIZED' });
    await expect(create('r2', uninit.id, uninit.chain.trustAnchorPem)).rejects.toMatchObject({
      name: 'CloudHsmClusterNotActiveException',
      message: `AWS CloudHSM cluster ${uninit.id} is not active. Its state is INITIALIZED; it must be ACTIVE.`,
    });
    const oneAz = await freshCluster({ zones: ['us-east-1a', 'us-east-1a'] });
    await expect(create('r3', oneAz.id, oneAz.chain.trustAnchorPem)).rejects.toMatchObject({
      name: 'CloudHsmClusterInvalidConfigurationException',
      message: `AWS CloudHSM cluster ${oneAz.id} must contain at least two active HSMs, each in a different Availability Zone.`,
    });
    const good = await freshCluster();
    await expect(create('r4', good.id, chainB.trustAnchorPem)).rejects.toMatchObject({
      name: 'IncorrectTrustAnchorException',
      message: `The trust anchor certificate in the request is not the trust anchor of AWS CloudHSM cluster ${good.id}.`,
    });
    await expect(create('r5', good.id, 'not a certificate')).rejects.toMatchObject({ name: 'IncorrectTrustAnchorException' });
    const { storeId: usedBy } = await kms
      .send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: 'r6',
          CloudHsmClusterId: good.id,
          TrustAnchorCertificate: good.chain.trustAnchorPem,
          KeyStorePassword: 'kmsPswd1',
        }),
      )
      .then((r) => ({ storeId: r.CustomKeyStoreId }));
    await expect(create('r7', good.id, good.chain.trustAnchorPem)).rejects.toMatchObject({
      name: 'CloudHsmClusterInUseException',
      message: `AWS CloudHSM cluster ${good.id} is already associated with custom key store ${usedBy}.`,
    });
    // A cluster restored from a backup shares the backup history: also in use.
    hsm.restoreFrom(good.id, 'cluster-restoredabcde');
    await expect(create('r8', 'cluster-restoredabcde', good.chain.trustAnchorPem)).rejects.toMatchObject({
      name: 'CloudHsmClusterInUseException',
    });
  });

  it('allows at most 10 custom key stores per account and Region', async () => {
    for (let i = 0; i < 10; i++) await createStore(`quota-${i}`);
    const cluster = await freshCluster();
    await expect(
      kms.send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: 'quota-10',
          CloudHsmClusterId: cluster.id,
          TrustAnchorCertificate: cluster.chain.trustAnchorPem,
          KeyStorePassword: 'kmsPswd1',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'LimitExceededException',
      message: 'Cannot create the custom key store: the account already has the maximum of 10 custom key stores in this Region.',
      $metadata: { httpStatusCode: 400 },
    });
    const page = await kms.send(new DescribeCustomKeyStoresCommand({ Limit: 4 }));
    expect(page.CustomKeyStores).toHaveLength(4);
    expect(page.Truncated).toBe(true);
    const rest = await kms.send(new DescribeCustomKeyStoresCommand({ Marker: page.NextMarker }));
    expect(rest.CustomKeyStores).toHaveLength(6);
    expect(rest.Truncated).toBe(false);
  });

  it('requires the CloudHSM members and rejects external key store members', async () => {
    await expect(
      kms.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: 'v1', KeyStorePassword: 'kmsPswd1' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: "1 validation error detected: Value null at 'cloudHsmClusterId' failed to satisfy constraint: Member must not be null",
    });
    await expect(
      kms.send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: 'v2',
          CloudHsmClusterId: 'cluster-abcdefghijk',
          TrustAnchorCertificate: 'x',
          KeyStorePassword: 'kmsPswd1',
          XksProxyUriPath: '/kms/xks/v1',
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'XksProxyUriPath is valid only for custom key stores of type EXTERNAL_KEY_STORE.',
    });
  });
});

describe('connection state machine', () => {
  it('connects: logs in as kmsuser, rotates its password, and keeps the session', async () => {
    const { storeId, clusterId } = await createStore('conn-ok');
    const entry = await connect(storeId);
    expect(entry.ConnectionState).toBe('CONNECTED');
    const user = hsm.user(clusterId);
    expect(user.loggedIn).toBe(true);
    expect(user.password).not.toBe('kmsPswd1');
    expect(user.password).toMatch(/^[A-Za-z0-9]{32}$/);
    // Connect while CONNECTED is a no-op.
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    expect((await describeStore(storeId)).ConnectionState).toBe('CONNECTED');
    const after = await disconnect(storeId);
    expect(after.ConnectionState).toBe('DISCONNECTED');
    expect(user.loggedIn).toBe(false);
    // Reconnecting rotates again, using the password only kmsd knew.
    const previous = user.password;
    expect((await connect(storeId)).ConnectionState).toBe('CONNECTED');
    expect(user.password).not.toBe(previous);
    await disconnect(storeId);
  });

  it('reports each login failure as FAILED with its ConnectionErrorCode; FAILED must be disconnected first', async () => {
    const cases: [string, Parameters<FakeClusters['addCluster']>[2], (clusterId: string) => void, string][] = [
      ['f-cred', { kmsuserPassword: 'differentPw' }, () => undefined, 'INVALID_CREDENTIALS'],
      ['f-user', { kmsuserPassword: null }, () => undefined, 'USER_NOT_FOUND'],
      ['f-logged', {}, (c) => (hsm.user(c).loggedIn = true), 'USER_LOGGED_IN'],
      ['f-locked', {}, (c) => (hsm.user(c).failures = 5), 'USER_LOCKED_OUT'],
      ['f-gone', {}, (c) => hsm.clusters.delete(c), 'CLUSTER_NOT_FOUND'],
    ];
    for (const [name, options, breakIt, code] of cases) {
      const { storeId, clusterId } = await createStore(name, options);
      breakIt(clusterId);
      const entry = await connect(storeId);
      expect(entry.ConnectionState, name).toBe('FAILED');
      expect(entry.ConnectionErrorCode, name).toBe(code);
      await expect(kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }))).rejects.toMatchObject({
        name: 'CustomKeyStoreInvalidStateException',
        message: `Custom key store ${storeId} is in the FAILED connection state. You can connect a custom key store only when it is DISCONNECTED; disconnect it first.`,
        $metadata: { httpStatusCode: 400 },
      });
      const after = await disconnect(storeId);
      expect(after.ConnectionState).toBe('DISCONNECTED');
      expect(after.ConnectionErrorCode).toBeUndefined();
    }
  });

  it('reports INSUFFICIENT_CLOUDHSM_HSMS when the HSMs go away while connecting', async () => {
    const slow = await startKmsd({ clusters: hsm, keyStoreTransitionMs: 60_000 });
    try {
      const client = slow.kms();
      const { storeId: CustomKeyStoreId, clusterId } = await createStore('slow', {}, client);
      const cluster = { id: clusterId };
      await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId }));
      const connecting = await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId }));
      expect(connecting.CustomKeyStores?.[0].ConnectionState).toBe('CONNECTING');
      for (const h of hsm.cluster(cluster.id).view.hsms) h.state = 'DELETE_IN_PROGRESS';
      await slow.advanceClock(60);
      const failed = await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId }));
      expect(failed.CustomKeyStores?.[0]).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: 'INSUFFICIENT_CLOUDHSM_HSMS' });
      await client.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId }));
      const disconnecting = await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId }));
      expect(disconnecting.CustomKeyStores?.[0].ConnectionState).toBe('DISCONNECTING');
      // No active HSM at all is found before connecting: fails fast, state unchanged.
      await slow.advanceClock(60);
      await expect(client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId }))).rejects.toMatchObject({
        name: 'CloudHsmClusterInvalidConfigurationException',
        message: `AWS CloudHSM cluster ${cluster.id} has no active HSMs. Add an HSM to the cluster, then connect again.`,
      });
      const still = await client.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId }));
      expect(still.CustomKeyStores?.[0].ConnectionState).toBe('DISCONNECTED');
    } finally {
      await slow.close();
    }
  });

  it('fails fast with CloudHsmClusterNotActiveException and stays DISCONNECTED', async () => {
    const { storeId, clusterId } = await createStore('fast-fail');
    hsm.cluster(clusterId).view.state = 'UPDATE_IN_PROGRESS';
    await expect(kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }))).rejects.toMatchObject({
      name: 'CloudHsmClusterNotActiveException',
      message: `AWS CloudHSM cluster ${clusterId} is not active. Its state is UPDATE_IN_PROGRESS; it must be ACTIVE.`,
    });
    await t.advanceClock(0);
    expect((await describeStore(storeId)).ConnectionState).toBe('DISCONNECTED');
    await expect(kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }))).rejects.toMatchObject({
      name: 'CustomKeyStoreInvalidStateException',
      message: `Custom key store ${storeId} is in the DISCONNECTED connection state. You can disconnect a custom key store only when it is CONNECTED, CONNECTING or FAILED.`,
    });
  });

  it('answers CustomKeyStoreNotFoundException for unknown ids and names', async () => {
    await expect(kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: 'cks-00000000000000000' }))).rejects.toMatchObject({
      name: 'CustomKeyStoreNotFoundException',
      message: 'Custom key store cks-00000000000000000 does not exist.',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: 'nope' }))).rejects.toMatchObject({
      name: 'CustomKeyStoreNotFoundException',
      message: 'Custom key store with name nope does not exist.',
    });
    await expect(
      kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: 'cks-00000000000000000', CustomKeyStoreName: 'nope' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Specify either CustomKeyStoreId or CustomKeyStoreName, but not both.',
      $metadata: { httpStatusCode: 400 },
    });
    // Another account sees nothing.
    const other = t.kms({ region: 'sa-east-1' });
    const { storeId } = await createStore('scoped');
    await expect(other.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId }))).rejects.toMatchObject({
      name: 'CustomKeyStoreNotFoundException',
    });
  });
});

describe('KMS keys in a CloudHSM key store', () => {
  it('creates keys in the cluster, uses them, and makes them Unavailable while disconnected', async () => {
    const { storeId, clusterId } = await createStore('keys');
    await expect(kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId }))).rejects.toMatchObject({
      name: 'CustomKeyStoreInvalidStateException',
      message: `Custom key store ${storeId} is in the DISCONNECTED connection state. You can create KMS keys in a custom key store only when it is CONNECTED.`,
    });
    await connect(storeId);
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId }));
    expect(KeyMetadata).toMatchObject({
      Origin: 'AWS_CLOUDHSM',
      CustomKeyStoreId: storeId,
      CloudHsmClusterId: clusterId,
      KeyState: 'Enabled',
      KeySpec: 'SYMMETRIC_DEFAULT',
    });
    expect(KeyMetadata?.CurrentKeyMaterialId).toBeUndefined();
    // The HSM key is labelled with the key ARN and owned by kmsuser.
    const hsmKeys = [...hsm.cluster(clusterId).keys.values()];
    expect(hsmKeys).toHaveLength(1);
    expect(hsmKeys[0]).toMatchObject({ label: KeyMetadata?.Arn, owner: 'kmsuser' });

    const enc = await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('in the hsm') }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe('in the hsm');
    const tampered = Buffer.from(enc.CiphertextBlob ?? new Uint8Array());
    tampered[tampered.length - 1] ^= 1;
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: tampered }))).rejects.toMatchObject({ name: 'InvalidCiphertextException' });

    const random = await kms.send(new GenerateRandomCommand({ NumberOfBytes: 24, CustomKeyStoreId: storeId }));
    expect(random.Plaintext).toHaveLength(24);

    await disconnect(storeId);
    const described = await kms.send(new DescribeKeyCommand({ KeyId: KeyMetadata?.KeyId }));
    expect(described.KeyMetadata?.KeyState).toBe('Unavailable');
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).rejects.toMatchObject({
      name: 'KMSInvalidStateException',
      message: `${KeyMetadata?.Arn} is unavailable.`,
      $metadata: { httpStatusCode: 400 },
    });
    await expect(kms.send(new GenerateRandomCommand({ NumberOfBytes: 8, CustomKeyStoreId: storeId }))).rejects.toMatchObject({
      name: 'CustomKeyStoreInvalidStateException',
    });
    await expect(kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId }))).rejects.toMatchObject({
      name: 'CustomKeyStoreHasCMKsException',
      message: `Custom key store ${storeId} contains 1 KMS key(s). Delete all KMS keys in the custom key store before deleting it.`,
    });
    await connect(storeId);
    const again = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(again.Plaintext ?? new Uint8Array()).toString()).toBe('in the hsm');
  });

  it('rejects key types a custom key store cannot hold, and a cluster that lost an AZ', async () => {
    const { storeId, clusterId } = await createStore('key-rules');
    await connect(storeId);
    await expect(
      kms.send(
        new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId, KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }),
      ),
    ).rejects.toMatchObject({ name: 'UnsupportedOperationException' });
    await expect(
      kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId, MultiRegion: true })),
    ).rejects.toMatchObject({
      name: 'UnsupportedOperationException',
      message: 'Multi-Region keys cannot be created in a custom key store.',
    });
    await expect(
      kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: 'cks-00000000000000000' })),
    ).rejects.toMatchObject({
      name: 'CustomKeyStoreNotFoundException',
    });
    hsm.cluster(clusterId).view.hsms[1].state = 'DEGRADED';
    await expect(kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId }))).rejects.toMatchObject({
      name: 'CloudHsmClusterInvalidConfigurationException',
      message: `AWS CloudHSM cluster ${clusterId} must contain at least two active HSMs, each in a different Availability Zone.`,
    });
    hsm.cluster(clusterId).view.hsms[1].state = 'ACTIVE';
    await disconnect(storeId);
  });
});

describe('UpdateCustomKeyStore and DeleteCustomKeyStore', () => {
  it('renames while CONNECTED but rejects password/cluster changes then, changing nothing', async () => {
    const { storeId, clusterId } = await createStore('upd-a');
    await connect(storeId);
    await kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, NewCustomKeyStoreName: 'upd-b' }));
    const other = await createStore('upd-other');
    await expect(
      kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: other.storeId, NewCustomKeyStoreName: 'upd-b' })),
    ).rejects.toMatchObject({ name: 'CustomKeyStoreNameInUseException', message: 'Custom key store name upd-b is already in use.' });
    expect((await describeStore(storeId)).CustomKeyStoreName).toBe('upd-b');
    await expect(
      kms.send(
        new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, NewCustomKeyStoreName: 'upd-c', KeyStorePassword: 'newPswd99' }),
      ),
    ).rejects.toMatchObject({
      name: 'CustomKeyStoreInvalidStateException',
      message: `Custom key store ${storeId} is in the CONNECTED connection state. To update the KeyStorePassword or CloudHsmClusterId of a custom key store, its connection state must be DISCONNECTED.`,
    });
    await expect(
      kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, CloudHsmClusterId: clusterId })),
    ).rejects.toMatchObject({
      name: 'CustomKeyStoreInvalidStateException',
    });
    expect((await describeStore(storeId)).CustomKeyStoreName).toBe('upd-b');
    await expect(kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId }))).rejects.toMatchObject({
      name: 'CustomKeyStoreInvalidStateException',
      message: `Custom key store ${storeId} is in the CONNECTED connection state. You can delete a custom key store only when it is DISCONNECTED.`,
    });
    await disconnect(storeId);
    await kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await expect(kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId }))).rejects.toMatchObject({
      name: 'CustomKeyStoreNotFoundException',
    });
  });

  it('moves a store to a cluster restored from a backup; keys are found there by label', async () => {
    const { storeId, clusterId } = await createStore('swap');
    await connect(storeId);
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId }));
    const enc = await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('survives') }));
    await disconnect(storeId);
    // Backup taken now (kmsuser has the rotated password); the original cluster is deleted.
    const restored = hsm.restoreFrom(clusterId, 'cluster-swaptargetabc');
    for (const [h, k] of [...restored.keys]) {
      restored.keys.delete(h);
      restored.keys.set(`r${h}`, k);
    }
    hsm.clusters.delete(clusterId);
    expect((await connect(storeId)).ConnectionErrorCode).toBe('CLUSTER_NOT_FOUND');
    await disconnect(storeId);

    const unrelated = await freshCluster();
    await expect(
      kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, CloudHsmClusterId: unrelated.id })),
    ).rejects.toMatchObject({
      name: 'CloudHsmClusterNotRelatedException',
      message: `AWS CloudHSM cluster ${unrelated.id} does not share a backup history with cluster ${clusterId} of custom key store ${storeId}.`,
    });
    await expect(
      kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, CloudHsmClusterId: 'cluster-nonexistentab' })),
    ).rejects.toMatchObject({ name: 'CloudHsmClusterNotFoundException' });

    await kms.send(
      new UpdateCustomKeyStoreCommand({
        CustomKeyStoreId: storeId,
        CloudHsmClusterId: 'cluster-swaptargetabc',
        NewCustomKeyStoreName: 'swapped',
      }),
    );
    expect(await describeStore(storeId)).toMatchObject({ CloudHsmClusterId: 'cluster-swaptargetabc', CustomKeyStoreName: 'swapped' });
    expect((await connect(storeId)).ConnectionState).toBe('CONNECTED');
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe('survives');
    const described = await kms.send(new DescribeKeyCommand({ KeyId: KeyMetadata?.KeyId }));
    expect(described.KeyMetadata?.CloudHsmClusterId).toBe('cluster-swaptargetabc');
  });

  it('tells kmsd the current kmsuser password after it drifted', async () => {
    const { storeId, clusterId } = await createStore('drift');
    hsm.user(clusterId).password = 'resetByAdmin1';
    expect((await connect(storeId)).ConnectionErrorCode).toBe('INVALID_CREDENTIALS');
    await disconnect(storeId);
    await kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, KeyStorePassword: 'resetByAdmin1' }));
    expect(hsm.user(clusterId).password).toBe('resetByAdmin1');
    expect((await connect(storeId)).ConnectionState).toBe('CONNECTED');
    await disconnect(storeId);
  });
});

describe('deleting keys and stores', () => {
  it('deletes the HSM key at final deletion, records it as orphaned when the store is disconnected', async () => {
    const { storeId, clusterId } = await createStore('deletion');
    await connect(storeId);
    const a = (await kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId }))).KeyMetadata;
    const b = (await kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId }))).KeyMetadata;
    const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: a?.KeyId, KeySpec: 'AES_256' }));
    expect(dataKey.Plaintext).toHaveLength(32);
    await expect(kms.send(new EnableKeyRotationCommand({ KeyId: a?.KeyId }))).rejects.toMatchObject({
      name: 'UnsupportedOperationException',
    });
    expect(hsm.cluster(clusterId).keys.size).toBe(2);

    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: a?.KeyId, PendingWindowInDays: 7 }));
    await t.advanceClock(7 * 86400 + 1);
    expect([...hsm.cluster(clusterId).keys.values()].map((k) => k.label)).toEqual([b?.Arn]);

    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: b?.KeyId, PendingWindowInDays: 7 }));
    await disconnect(storeId);
    await expect(kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId }))).rejects.toMatchObject({
      name: 'CustomKeyStoreHasCMKsException',
      message: `Custom key store ${storeId} contains 1 KMS key(s). Delete all KMS keys in the custom key store before deleting it.`,
    });
    await t.advanceClock(7 * 86400 + 1);
    const scope = { account: '111122223333', region: await kms.config.region() };
    const orphan = await orphanedHsmKeyTable(t.kmsd.store).get(scope, b?.KeyId ?? '');
    expect(orphan).toMatchObject({
      keyArn: b?.Arn,
      customKeyStoreId: storeId,
      clusterId,
      reason: 'the custom key store was not connected',
    });
    expect(hsm.cluster(clusterId).keys.size).toBe(1);
    await kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await expect(kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId }))).rejects.toMatchObject({
      name: 'CustomKeyStoreNotFoundException',
    });
  });
});

describe('restart', () => {
  it('reconnects stores that were CONNECTED when kmsd stopped', async () => {
    const persistent = await startKmsd({
      clusters: hsm,
      keyStoreTransitionMs: 0,
      persistent: true,
      rootKey: Buffer.alloc(32, 7).toString('base64'),
    });
    const dataDir = persistent.dataDir;
    try {
      const client = persistent.kms();
      const { storeId: CustomKeyStoreId, clusterId } = await createStore('restart', {}, client);
      const cluster = { id: clusterId };
      await client.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId }));
      await persistent.advanceClock(0);
      const { KeyMetadata } = await client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId }));
      const enc = await client.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('restart') }));
      await persistent.close();
      expect(hsm.user(cluster.id).loggedIn).toBe(false);

      const again = await startKmsd({
        clusters: hsm,
        keyStoreTransitionMs: 0,
        persistent: true,
        dataDir,
        rootKey: Buffer.alloc(32, 7).toString('base64'),
      });
      try {
        expect(hsm.user(cluster.id).loggedIn).toBe(true);
        const dec = await again.kms().send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
        expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe('restart');
      } finally {
        await again.close();
      }
    } finally {
      removeDir(dataDir);
    }
  });
});
