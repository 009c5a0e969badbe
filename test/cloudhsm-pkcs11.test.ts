/**
 * A CloudHSM cluster whose KMS keys live in a PKCS#11 token (SoftHSM2 in a temporary
 * directory): kmsd's config names the token, the cluster is created with the tag
 * `kmsd:pkcs11-token` through /usr/bin/aws, and the custom key store lifecycle runs as AWS
 * documents it (cluster, HSMs, initialize, activate, kmsuser, store, connect, CreateKey,
 * Encrypt/Decrypt). The PKCS#11 driver then checks from outside kmsd that the key is in the
 * token under the KMS key ARN, and that final deletion removes it there.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { CreateClusterCommand } from '@aws-sdk/client-cloudhsm-v2';
import { awsCli, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { aws, backupNow, createClusterCliArgs, createKeyStoreCluster, restoreCluster, SUBNETS } from './helpers/cluster.js';
import { keyStoreSteps } from './helpers/key-store-steps.js';
import { makeSoftHsmToken } from './helpers/softhsm.js';
import type { SoftHsmToken } from './helpers/softhsm.js';
import { Pkcs11Token } from '../src/keystores/pkcs11/pkcs11-token.js';
import { defaultConfig } from '../src/config.js';

const TOKEN_NAME = 'lab-token';
const TOKEN_TAG = [{ Key: 'kmsd:pkcs11-token', Value: TOKEN_NAME }];

let softhsm: SoftHsmToken;
let token: Pkcs11Token;
let t: TestKmsd;
let kms: KMSClient;

beforeAll(async () => {
  softhsm = await makeSoftHsmToken('kmsd-cluster-token');
  // kmsd runs in this process: SoftHSM2 reads its config when the module is first loaded.
  softhsm.useInThisProcess();
  const pinFile = join(softhsm.dir, 'user-pin');
  writeFileSync(pinFile, `${softhsm.pin}\n`, { mode: 0o600 });
  t = await startKmsd({
    keyStoreTransitionMs: 0,
    config: {
      ...defaultConfig(),
      cloudhsm: { transitionMs: 0 },
      pkcs11Tokens: [{ name: TOKEN_NAME, module: softhsm.modulePath, tokenLabel: softhsm.tokenLabel, pinFile }],
    },
  });
  kms = t.kms();
  // The test's own view of the token, through the same PKCS#11 driver.
  token = Pkcs11Token.open(softhsm);
});

afterAll(async () => {
  token?.close();
  await t?.close();
  softhsm?.remove();
});

const { connect } = keyStoreSteps(
  () => kms,
  () => t,
);

/** The emulated HSM's own key rows of a cluster: a token-backed cluster must have none. */
async function emulatedKeys(clusterId: string): Promise<unknown[]> {
  const page = await t.kmsd.store
    .table('cloudhsm_hsm_keys')
    .list({ account: '111122223333', region: 'us-east-1' }, { prefix: `${clusterId}/` });
  return page.items;
}

// First: the AWS CLI signs with the real time, and the deletion test below moves kmsd's clock.
describe('the kmsd:pkcs11-token tag', () => {
  it('must name a token of the configuration (CreateCluster refuses, creating nothing)', async () => {
    const cloudhsm = t.cloudhsm();
    const before = await aws(t.url, ['cloudhsmv2', 'describe-clusters']);
    await expect(
      cloudhsm.send(
        new CreateClusterCommand({
          HsmType: 'hsm2m.medium',
          SubnetIds: SUBNETS,
          TagList: [{ Key: 'kmsd:pkcs11-token', Value: 'no-such-token' }],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'CloudHsmInvalidRequestException',
      message: "kmsd has no PKCS#11 token named 'no-such-token' (tag kmsd:pkcs11-token).",
    });
    const cli = await awsCli(t.url, createClusterCliArgs([{ Key: 'kmsd:pkcs11-token', Value: 'no-such-token' }]));
    expect(cli.code).toBe(254);
    expect(cli.stderr).toContain('CloudHsmInvalidRequestException');
    expect(await aws(t.url, ['cloudhsmv2', 'describe-clusters'])).toEqual(before);
  });
});

describe('a CloudHSM key store whose cluster keeps its keys in a PKCS#11 token', () => {
  let storeId: string;
  let clusterId: string;
  let keyArn: string;
  let keyId: string;
  let blob: Uint8Array;

  it('creates the KMS key in the token, labelled with its ARN, and encrypts and decrypts there', async () => {
    const cluster = await createKeyStoreCluster(t, 'kmsPswd1', { tags: TOKEN_TAG });
    clusterId = cluster.clusterId;
    const created = await aws(t.url, [
      'kms',
      'create-custom-key-store',
      '--custom-key-store-name',
      'TokenBackedStore',
      '--cloud-hsm-cluster-id',
      clusterId,
      '--trust-anchor-certificate',
      cluster.trustAnchor,
      '--key-store-password',
      'kmsPswd1',
    ]);
    storeId = created.CustomKeyStoreId as string;
    expect(await connect(storeId)).toMatchObject({ ConnectionState: 'CONNECTED', CloudHsmClusterId: clusterId });

    const key = await aws(t.url, ['kms', 'create-key', '--origin', 'AWS_CLOUDHSM', '--custom-key-store-id', storeId]);
    const md = key.KeyMetadata as Record<string, string>;
    expect(md).toMatchObject({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId, CloudHsmClusterId: clusterId, KeyState: 'Enabled' });
    keyArn = md.Arn;
    keyId = md.KeyId;

    expect(await token.describeKey(keyArn)).toEqual({ label: keyArn, aes256: true, canEncrypt: true, canDecrypt: true });
    expect(await token.listKeys()).toEqual([keyArn]);
    expect(await emulatedKeys(clusterId)).toEqual([]);

    const plaintext = Buffer.from('kept in a real token');
    const context = { purpose: 'pkcs11-test' };
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: context }));
    blob = enc.CiphertextBlob ?? new Uint8Array();
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: context }));
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array())).toEqual(plaintext);
    expect(dec.KeyId).toBe(keyArn);

    // The same round trip through the AWS CLI.
    const cliBlob = (await aws(t.url, ['kms', 'encrypt', '--key-id', keyId, '--plaintext', plaintext.toString('base64')]))
      .CiphertextBlob as string;
    const cliPlain = (await aws(t.url, ['kms', 'decrypt', '--ciphertext-blob', cliBlob])).Plaintext as string;
    expect(Buffer.from(cliPlain, 'base64')).toEqual(plaintext);

    const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }));
    expect(Buffer.from(opened.Plaintext ?? new Uint8Array())).toEqual(Buffer.from(dataKey.Plaintext ?? new Uint8Array()));
  });

  it('refuses altered ciphertexts and other encryption contexts as AWS does', async () => {
    const tampered = Buffer.from(blob);
    tampered[tampered.length - 1] ^= 1;
    await expect(
      kms.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: { purpose: 'pkcs11-test' } })),
    ).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { purpose: 'other' } }))).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
    });
  });

  it('keeps using the token after the store moves to a cluster restored from a backup', async () => {
    const restored = await restoreCluster(t, await backupNow(t, clusterId));
    await aws(t.url, ['kms', 'disconnect-custom-key-store', '--custom-key-store-id', storeId]);
    await t.advanceClock(0);
    await aws(t.url, ['kms', 'update-custom-key-store', '--custom-key-store-id', storeId, '--cloud-hsm-cluster-id', restored]);
    expect(await connect(storeId)).toMatchObject({ ConnectionState: 'CONNECTED', CloudHsmClusterId: restored });
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { purpose: 'pkcs11-test' } }));
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe('kept in a real token');
    expect(await emulatedKeys(restored)).toEqual([]);
  });

  it('destroys the key in the token at final deletion', async () => {
    const other = await kms.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId }));
    const otherArn = other.KeyMetadata?.Arn ?? '';
    expect((await token.listKeys()).sort()).toEqual([keyArn, otherArn].sort());

    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    expect(await token.describeKey(keyArn)).toBeDefined();
    await t.advanceClock(7 * 86400 + 1);
    await expect(kms.send(new DescribeKeyCommand({ KeyId: keyId }))).rejects.toMatchObject({ name: 'NotFoundException' });
    expect(await token.describeKey(keyArn)).toBeUndefined();
    expect(await token.listKeys()).toEqual([otherArn]);
  });
});
