/**
 * CloudHSM key stores end to end with /usr/bin/aws against kmsd's real CloudHSM service and
 * emulated HSMs (no test double): the documented edit sequence, repairing a store whose
 * cluster was deleted, kmsuser password drift, and the failure modes an operator meets
 * (unrelated cluster, edits while connected, keys left in the store, USER_LOGGED_IN,
 * USER_LOCKED_OUT, INSUFFICIENT_CLOUDHSM_HSMS), and a restart (through the SDK). Cluster
 * setup: test/helpers/cluster.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  EncryptCommand,
} from '@aws-sdk/client-kms';
import { awsCli, removeDir, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { hsmCli } from './helpers/hsm-cli.js';
import {
  aws,
  backupNow,
  createKeyStoreCluster,
  deleteCluster,
  deleteHsms,
  kmsuserArgs,
  latestBackup,
  resetKmsuserPassword,
  restoreCluster,
} from './helpers/cluster.js';
import { defaultConfig } from '../src/config.js';

let t: TestKmsd;

beforeAll(async () => {
  t = await startKmsd({ keyStoreTransitionMs: 0, config: { ...defaultConfig(), cloudhsm: { transitionMs: 0 } } });
});
afterAll(async () => t.close());

interface StoreEntry {
  CustomKeyStoreName: string;
  CloudHsmClusterId: string;
  ConnectionState: string;
  ConnectionErrorCode?: string;
}

async function describeStore(url: string, id: string): Promise<StoreEntry> {
  const out = await aws(url, ['kms', 'describe-custom-key-stores', '--custom-key-store-id', id]);
  return (out.CustomKeyStores as StoreEntry[])[0];
}

/** Connect/disconnect with the CLI, then let kmsd's background transition finish. */
async function connect(id: string): Promise<StoreEntry> {
  await aws(t.url, ['kms', 'connect-custom-key-store', '--custom-key-store-id', id]);
  await t.advanceClock(0);
  return describeStore(t.url, id);
}

async function disconnect(id: string): Promise<StoreEntry> {
  await aws(t.url, ['kms', 'disconnect-custom-key-store', '--custom-key-store-id', id]);
  await t.advanceClock(0);
  return describeStore(t.url, id);
}

/** The AWS CLI's error line for a failed call (exit code 254). */
async function cliError(args: string[]): Promise<string> {
  const r = await awsCli(t.url, args);
  expect(r.code).toBe(254);
  // AWS_MAX_ATTEMPTS=1 makes the CLI add this note; the rest is the service's error.
  return r.stderr.trim().replace(' (reached max retries: 0)', '');
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function encrypt(keyId: string, text: string): Promise<string> {
  const out = await aws(t.url, ['kms', 'encrypt', '--key-id', keyId, '--plaintext', b64(text)]);
  return out.CiphertextBlob as string;
}

async function decrypt(blob: string): Promise<string> {
  const out = await aws(t.url, ['kms', 'decrypt', '--ciphertext-blob', blob]);
  return Buffer.from(out.Plaintext as string, 'base64').toString();
}

describe('a CloudHSM key store on a real kmsd cluster, through /usr/bin/aws', () => {
  let storeId: string;
  let original: { clusterId: string; trustAnchor: string };
  let copyId: string;
  let keyId: string;
  let blob1: string;

  it('creates and connects a store, creates a key in the cluster and uses it', async () => {
    original = await createKeyStoreCluster(t, 'kmsPswd1');
    const created = await aws(t.url, [
      'kms',
      'create-custom-key-store',
      '--custom-key-store-name',
      'ExampleKeyStore',
      '--cloud-hsm-cluster-id',
      original.clusterId,
      '--trust-anchor-certificate',
      original.trustAnchor,
      '--key-store-password',
      'kmsPswd1',
    ]);
    storeId = created.CustomKeyStoreId as string;
    expect(storeId).toMatch(/^cks-[0-9a-f]{17}$/);
    expect((await describeStore(t.url, storeId)).ConnectionState).toBe('DISCONNECTED');
    expect(await connect(storeId)).toMatchObject({ ConnectionState: 'CONNECTED', CloudHsmClusterId: original.clusterId });
    // kmsd rotated kmsuser's password: the one the operator knew no longer works.
    const stale = await hsmCli(t.url, [
      'key',
      'list',
      '--cluster-id',
      original.clusterId,
      '--username',
      'kmsuser',
      '--password',
      'kmsPswd1',
    ]);
    expect(stale.code).not.toBe(0);

    const key = await aws(t.url, ['kms', 'create-key', '--origin', 'AWS_CLOUDHSM', '--custom-key-store-id', storeId]);
    const md = key.KeyMetadata as Record<string, unknown>;
    expect(md).toMatchObject({
      Origin: 'AWS_CLOUDHSM',
      CustomKeyStoreId: storeId,
      CloudHsmClusterId: original.clusterId,
      KeyState: 'Enabled',
    });
    keyId = md.KeyId as string;
    blob1 = await encrypt(keyId, 'before the edits');
    expect(await decrypt(blob1)).toBe('before the edits');
  });

  it('rejects password and cluster edits while CONNECTED, and deleting a store that has keys', async () => {
    expect(await cliError(['kms', 'update-custom-key-store', '--custom-key-store-id', storeId, '--key-store-password', 'another1'])).toBe(
      `An error occurred (CustomKeyStoreInvalidStateException) when calling the UpdateCustomKeyStore operation: Custom key store ${storeId} is in the CONNECTED connection state. To update the KeyStorePassword or CloudHsmClusterId of a custom key store, its connection state must be DISCONNECTED.`,
    );
    expect(
      await cliError(['kms', 'update-custom-key-store', '--custom-key-store-id', storeId, '--cloud-hsm-cluster-id', original.clusterId]),
    ).toContain('(CustomKeyStoreInvalidStateException) when calling the UpdateCustomKeyStore operation');
    expect(await cliError(['kms', 'delete-custom-key-store', '--custom-key-store-id', storeId])).toBe(
      `An error occurred (CustomKeyStoreInvalidStateException) when calling the DeleteCustomKeyStore operation: Custom key store ${storeId} is in the CONNECTED connection state. You can delete a custom key store only when it is DISCONNECTED.`,
    );
    expect((await disconnect(storeId)).ConnectionState).toBe('DISCONNECTED');
    expect(await cliError(['kms', 'delete-custom-key-store', '--custom-key-store-id', storeId])).toBe(
      `An error occurred (CustomKeyStoreHasCMKsException) when calling the DeleteCustomKeyStore operation: Custom key store ${storeId} contains 1 KMS key(s). Delete all KMS keys in the custom key store before deleting it.`,
    );
    // Crypto on a key of a disconnected store: the key is Unavailable.
    const arn = `arn:aws:kms:us-east-1:111122223333:key/${keyId}`;
    expect(await cliError(['kms', 'decrypt', '--ciphertext-blob', blob1])).toBe(
      `An error occurred (KMSInvalidStateException) when calling the Decrypt operation: ${arn} is unavailable.`,
    );
  });

  it('rejects an unrelated cluster with CloudHsmClusterNotRelatedException', async () => {
    const unrelated = await createKeyStoreCluster(t, 'otherPw1');
    expect(
      await cliError(['kms', 'update-custom-key-store', '--custom-key-store-id', storeId, '--cloud-hsm-cluster-id', unrelated.clusterId]),
    ).toBe(
      `An error occurred (CloudHsmClusterNotRelatedException) when calling the UpdateCustomKeyStore operation: AWS CloudHSM cluster ${unrelated.clusterId} does not share a backup history with cluster ${original.clusterId} of custom key store ${storeId}.`,
    );
    expect((await describeStore(t.url, storeId)).CloudHsmClusterId).toBe(original.clusterId);
  });

  it('edits a disconnected store: name, cluster (a restored backup of the original), password; then connects', async () => {
    copyId = await restoreCluster(t, await backupNow(t, original.clusterId));
    await aws(t.url, [
      'kms',
      'update-custom-key-store',
      '--custom-key-store-id',
      storeId,
      '--new-custom-key-store-name',
      'DevelopmentKeys',
    ]);
    await aws(t.url, ['kms', 'update-custom-key-store', '--custom-key-store-id', storeId, '--cloud-hsm-cluster-id', copyId]);
    // The operator sets a known kmsuser password in the copy and tells KMS about it.
    await resetKmsuserPassword(t, copyId, 'devPswd22');
    await aws(t.url, ['kms', 'update-custom-key-store', '--custom-key-store-id', storeId, '--key-store-password', 'devPswd22']);
    expect(await connect(storeId)).toMatchObject({
      CustomKeyStoreName: 'DevelopmentKeys',
      CloudHsmClusterId: copyId,
      ConnectionState: 'CONNECTED',
    });
    expect(await decrypt(blob1)).toBe('before the edits');
    expect(await decrypt(await encrypt(keyId, 'after the edits'))).toBe('after the edits');
    const described = await aws(t.url, ['kms', 'describe-key', '--key-id', keyId]);
    expect((described.KeyMetadata as Record<string, unknown>).CloudHsmClusterId).toBe(copyId);
  });

  it('password drift: FAILED INVALID_CREDENTIALS until kmsd is told the new password', async () => {
    expect((await disconnect(storeId)).ConnectionState).toBe('DISCONNECTED');
    await resetKmsuserPassword(t, copyId, 'drifted77');
    expect(await connect(storeId)).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: 'INVALID_CREDENTIALS' });
    expect(await cliError(['kms', 'connect-custom-key-store', '--custom-key-store-id', storeId])).toBe(
      `An error occurred (CustomKeyStoreInvalidStateException) when calling the ConnectCustomKeyStore operation: Custom key store ${storeId} is in the FAILED connection state. You can connect a custom key store only when it is DISCONNECTED; disconnect it first.`,
    );
    const cleared = await disconnect(storeId);
    expect(cleared.ConnectionState).toBe('DISCONNECTED');
    expect(cleared.ConnectionErrorCode).toBeUndefined();
    await aws(t.url, ['kms', 'update-custom-key-store', '--custom-key-store-id', storeId, '--key-store-password', 'drifted77']);
    expect((await connect(storeId)).ConnectionState).toBe('CONNECTED');
    expect(await decrypt(blob1)).toBe('before the edits');
  });

  it('USER_LOGGED_IN while an operator is logged in as kmsuser; USER_LOCKED_OUT after 5 failed logins', async () => {
    await disconnect(storeId);
    await resetKmsuserPassword(t, copyId, 'known555');
    await aws(t.url, ['kms', 'update-custom-key-store', '--custom-key-store-id', storeId, '--key-store-password', 'known555']);
    expect((await hsmCli(t.url, ['login', ...kmsuserArgs(copyId, 'known555')])).code).toBe(0);
    expect(await connect(storeId)).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: 'USER_LOGGED_IN' });
    await disconnect(storeId);
    expect((await hsmCli(t.url, ['logout', ...kmsuserArgs(copyId, 'known555')])).code).toBe(0);

    for (let i = 0; i < 5; i++) expect((await hsmCli(t.url, ['login', ...kmsuserArgs(copyId, 'wrongPw99')])).code).not.toBe(0);
    expect(await connect(storeId)).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: 'USER_LOCKED_OUT' });
    await disconnect(storeId);
    // An admin's password reset unlocks kmsuser; KMS is told the new password.
    await resetKmsuserPassword(t, copyId, 'unlocked9');
    await aws(t.url, ['kms', 'update-custom-key-store', '--custom-key-store-id', storeId, '--key-store-password', 'unlocked9']);
    expect((await connect(storeId)).ConnectionState).toBe('CONNECTED');
  });

  it('repairs a store whose cluster was deleted, from the cluster’s latest backup', async () => {
    const blob2 = await encrypt(keyId, 'made on the copy');
    await deleteCluster(t, copyId);
    // The store stays CONNECTED (AWS does not watch the cluster), but crypto fails.
    expect((await describeStore(t.url, storeId)).ConnectionState).toBe('CONNECTED');
    expect(await cliError(['kms', 'decrypt', '--ciphertext-blob', blob2])).toBe(
      'An error occurred (KMSInvalidStateException) when calling the Decrypt operation: KMS cannot communicate with your CloudHSM cluster.',
    );
    await disconnect(storeId);
    expect(await connect(storeId)).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: 'CLUSTER_NOT_FOUND' });
    await disconnect(storeId);

    // The latest backup holds kmsuser with the password kmsd set at its last connect.
    const repaired = await restoreCluster(t, await latestBackup(t, copyId));
    await aws(t.url, ['kms', 'update-custom-key-store', '--custom-key-store-id', storeId, '--cloud-hsm-cluster-id', repaired]);
    expect(await connect(storeId)).toMatchObject({ ConnectionState: 'CONNECTED', CloudHsmClusterId: repaired });
    expect(await decrypt(blob1)).toBe('before the edits');
    expect(await decrypt(blob2)).toBe('made on the copy');
  });
});

describe('INSUFFICIENT_CLOUDHSM_HSMS on a real cluster', () => {
  it('fails the connect when every HSM is deleted before kmsd logs in', async () => {
    // Connect takes 60 s of service-clock time here, so the HSMs can go meanwhile.
    const slow = await startKmsd({ keyStoreTransitionMs: 60_000, config: { ...defaultConfig(), cloudhsm: { transitionMs: 0 } } });
    try {
      const cluster = await createKeyStoreCluster(slow, 'kmsPswd1');
      const created = await aws(slow.url, [
        'kms',
        'create-custom-key-store',
        '--custom-key-store-name',
        'Slow',
        '--cloud-hsm-cluster-id',
        cluster.clusterId,
        '--trust-anchor-certificate',
        cluster.trustAnchor,
        '--key-store-password',
        'kmsPswd1',
      ]);
      const id = created.CustomKeyStoreId as string;
      await aws(slow.url, ['kms', 'connect-custom-key-store', '--custom-key-store-id', id]);
      expect((await describeStore(slow.url, id)).ConnectionState).toBe('CONNECTING');
      await deleteHsms(slow, cluster.clusterId);
      await slow.advanceClock(60);
      expect(await describeStore(slow.url, id)).toMatchObject({
        ConnectionState: 'FAILED',
        ConnectionErrorCode: 'INSUFFICIENT_CLOUDHSM_HSMS',
      });
    } finally {
      await slow.close();
    }
  });
});

describe('restart with the real HSM module', () => {
  it('logs a CONNECTED store in again when kmsd starts, so its keys keep working', async () => {
    const config = { ...defaultConfig(), cloudhsm: { transitionMs: 0 } };
    const first = await startKmsd({ keyStoreTransitionMs: 0, config, persistent: true });
    const dataDir = first.dataDir;
    try {
      const cluster = await createKeyStoreCluster(first, 'kmsPswd1');
      const kms = first.kms();
      const { CustomKeyStoreId } = await kms.send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: 'Restarted',
          CloudHsmClusterId: cluster.clusterId,
          TrustAnchorCertificate: cluster.trustAnchor,
          KeyStorePassword: 'kmsPswd1',
        }),
      );
      await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId }));
      await first.advanceClock(0);
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId }));
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('kept') }));
      await first.close();

      const second = await startKmsd({ keyStoreTransitionMs: 0, config, persistent: true, dataDir });
      try {
        const again = second.kms();
        const { CustomKeyStores } = await again.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId }));
        expect(CustomKeyStores?.[0].ConnectionState).toBe('CONNECTED');
        const { Plaintext } = await again.send(new DecryptCommand({ CiphertextBlob }));
        expect(Buffer.from(Plaintext ?? new Uint8Array()).toString()).toBe('kept');
      } finally {
        await second.close();
      }
    } finally {
      removeDir(dataDir);
    }
  });
});
