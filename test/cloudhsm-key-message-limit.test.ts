/**
 * AES-GCM with random IVs under one CloudHSM-backed key (docs/security.md, Known limits): kmsd
 * counts the messages each KMS key in a CloudHSM key store encrypts, a block of reservations per
 * store write, and refuses to encrypt past the bound (2^32 by default, lowered here), while
 * decryption goes on. Keys in other key stores are not counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { DEV, REGION, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { FakeClusters, makeTrustChain } from './helpers/fake-clusters.js';
import { expectAwsError } from './helpers/errors.js';

const LIMIT = 5;
const SCOPE = { account: DEV.accountId, region: REGION };
let hsm: FakeClusters;
let t: TestKmsd;
let kms: KMSClient;
let storeId = '';

beforeAll(async () => {
  hsm = new FakeClusters();
  const chain = await makeTrustChain('cluster-msglimitabcd');
  hsm.addCluster('cluster-msglimitabcd', chain);
  t = await startKmsd({ clusters: hsm, keyStoreTransitionMs: 0, cloudHsmKeyMessageLimit: LIMIT });
  kms = t.kms();
  const created = await kms.send(
    new CreateCustomKeyStoreCommand({
      CustomKeyStoreName: 'message-limit',
      CloudHsmClusterId: 'cluster-msglimitabcd',
      TrustAnchorCertificate: chain.trustAnchorPem,
      KeyStorePassword: 'kmsPswd1',
    }),
  );
  storeId = String(created.CustomKeyStoreId);
  await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
  await t.advanceClock(0);
});
afterAll(async () => t?.close());

async function hsmKey(): Promise<string> {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ CustomKeyStoreId: storeId, Origin: 'AWS_CLOUDHSM' }));
  return String(KeyMetadata?.KeyId);
}

describe('messages per CloudHSM-backed key', () => {
  it('encrypts up to the bound, then refuses Encrypt, GenerateDataKey and ReEncrypt; Decrypt goes on', async () => {
    const keyId = await hsmKey();
    const arn = `arn:aws:kms:${REGION}:${DEV.accountId}:key/${keyId}`;
    const blobs: Uint8Array[] = [];
    for (let i = 0; i < LIMIT - 1; i++) {
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(`message ${i}`) }));
      blobs.push(CiphertextBlob ?? new Uint8Array());
    }
    await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' })); // the 5th message
    const message = `${arn} has encrypted ${LIMIT} messages, the most one AES-GCM key may with random IVs. Create a new KMS key in the custom key store and encrypt under it.`;
    await expectAwsError(
      kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('one too many') })),
      'KMSInvalidStateException',
      message,
    );
    await expectAwsError(kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' })), 'KMSInvalidStateException', message);
    await expectAwsError(
      kms.send(new ReEncryptCommand({ CiphertextBlob: blobs[0], DestinationKeyId: keyId })),
      'KMSInvalidStateException',
      message,
    );
    // What it encrypted stays readable.
    for (const [i, blob] of blobs.entries()) {
      const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: blob }));
      expect(Buffer.from(Plaintext ?? new Uint8Array()).toString()).toBe(`message ${i}`);
    }
    // Another key in the same store has its own count.
    const fresh = await hsmKey();
    await kms.send(new EncryptCommand({ KeyId: fresh, Plaintext: Buffer.from('new key') }));
  });

  it('writes the count to the store once per block of messages, not per Encrypt', async () => {
    const keyId = await hsmKey();
    const counts = t.kmsd.store.table<{ reserved: number }>('cloudhsm_kms_key_message_counts');
    const put = counts.put;
    let writes = 0;
    counts.put = (...args) => (writes++, put.apply(counts, args));
    try {
      for (let i = 0; i < 3; i++) await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') }));
    } finally {
      counts.put = put;
    }
    // With a bound of 5 the first block is all 5 messages: one write for three Encrypts.
    expect(writes).toBe(1);
    expect(await counts.get(SCOPE, keyId)).toMatchObject({ reserved: LIMIT });
    // AWS_KMS keys are not counted at all.
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    for (let i = 0; i < LIMIT + 1; i++) await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('x') }));
    expect(await counts.get(SCOPE, String(KeyMetadata?.KeyId))).toBeUndefined();
  });
});
