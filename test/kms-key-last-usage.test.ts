/**
 * GetKeyLastUsage through the SDK (the Debian AWS CLI 2.9.19 predates the operation): the
 * last successful cryptographic operation per key, with the request id that did it, kept
 * across a restart (flushed at shutdown).
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyLastUsageCommand,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { removeDir, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';

let dataDir: string | undefined;
afterAll(() => removeDir(dataDir));

async function newKey(kms: KMSClient): Promise<string> {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
  if (!KeyMetadata?.KeyId) throw new Error('CreateKey returned no key');
  return KeyMetadata.KeyId;
}

describe('GetKeyLastUsage', () => {
  let t: TestKmsd;

  it('reports no use for a new key, then each successful cryptographic operation with its request id', async () => {
    t = await startKmsd({ persistent: true });
    dataDir = t.dataDir;
    const kms = t.kms();
    const keyId = await newKey(kms);
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    const fresh = await kms.send(new GetKeyLastUsageCommand({ KeyId: keyId }));
    expect(fresh.KeyId).toBe(keyId);
    expect(fresh.KeyLastUsage).toBeUndefined();
    expect(fresh.KeyCreationDate?.getTime()).toBe(KeyMetadata?.CreationDate?.getTime());
    // Created after tracking began: tracking starts at the key's creation.
    expect(fresh.TrackingStartDate?.getTime()).toBe(KeyMetadata?.CreationDate?.getTime());

    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x'), EncryptionContext: { a: 'b' } }));
    const afterEncrypt = await kms.send(new GetKeyLastUsageCommand({ KeyId: keyId }));
    expect(afterEncrypt.KeyLastUsage).toMatchObject({ Operation: 'Encrypt', KmsRequestId: enc.$metadata.requestId });
    expect(afterEncrypt.KeyLastUsage?.CloudTrailEventId).toBeUndefined();

    // Failed and dry-run requests are not usage.
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: 'c' } }))).rejects.toMatchObject(
      {
        name: 'InvalidCiphertextException',
      },
    );
    await expect(kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', DryRun: true }))).rejects.toMatchObject({
      name: 'DryRunOperationException',
    });
    expect((await kms.send(new GetKeyLastUsageCommand({ KeyId: keyId }))).KeyLastUsage?.KmsRequestId).toBe(enc.$metadata.requestId);

    // ReEncrypt counts for both keys.
    const other = await newKey(kms);
    const re = await kms.send(
      new ReEncryptCommand({ CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: { a: 'b' }, DestinationKeyId: other }),
    );
    for (const id of [keyId, other]) {
      const { KeyLastUsage } = await kms.send(new GetKeyLastUsageCommand({ KeyId: id }));
      expect(KeyLastUsage).toMatchObject({ Operation: 'ReEncrypt', KmsRequestId: re.$metadata.requestId });
    }
    await expect(kms.send(new GetKeyLastUsageCommand({ KeyId: '00000000-0000-0000-0000-000000000000' }))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
  });

  it('keeps the last use across a restart', async () => {
    const kms = t.kms();
    const keyId = await newKey(kms);
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('y') }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    await t.close();

    t = await startKmsd({ persistent: true, dataDir });
    try {
      const { KeyLastUsage } = await t.kms().send(new GetKeyLastUsageCommand({ KeyId: keyId }));
      expect(KeyLastUsage).toMatchObject({ Operation: 'Decrypt', KmsRequestId: dec.$metadata.requestId });
    } finally {
      await t.close();
    }
  });
});
