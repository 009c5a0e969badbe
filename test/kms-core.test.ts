import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';

let t: TestKmsd;
let kms: KMSClient;

beforeAll(async () => {
  t = await startKmsd();
  kms = t.kms();
});
afterAll(async () => t.close());

describe('keys and symmetric encryption through the SDK', () => {
  it('creates a key and describes it', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'first' }));
    expect(KeyMetadata?.KeyState).toBe('Enabled');
    expect(KeyMetadata?.Arn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${KeyMetadata?.KeyId}`);
    const described = await kms.send(new DescribeKeyCommand({ KeyId: KeyMetadata?.KeyId }));
    expect(described.KeyMetadata?.Description).toBe('first');
    expect(described.KeyMetadata?.CurrentKeyMaterialId).toMatch(/^[a-f0-9]{64}$/);
  });

  it('round-trips plaintext with an encryption context, in any order', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const plaintext = Buffer.from('the quick brown fox');
    const enc = await kms.send(
      new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: plaintext, EncryptionContext: { a: '1', b: '2' } }),
    );
    expect(enc.KeyId).toBe(KeyMetadata?.Arn);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { b: '2', a: '1' } }));
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe('the quick brown fox');
    expect(dec.KeyMaterialId).toBe(KeyMetadata?.CurrentKeyMaterialId);
  });

  it('rejects a decrypt whose encryption context differs', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const enc = await kms.send(
      new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('x'), EncryptionContext: { a: 'b' } }),
    );
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: 'B' } }))).rejects.toMatchObject(
      {
        name: 'InvalidCiphertextException',
        $metadata: { httpStatusCode: 400 },
      },
    );
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
    });
  });

  it('pages through ListKeys with Limit and Marker', async () => {
    for (let i = 0; i < 3; i++) await kms.send(new CreateKeyCommand({}));
    const first = await kms.send(new ListKeysCommand({ Limit: 2 }));
    expect(first.Keys).toHaveLength(2);
    expect(first.Truncated).toBe(true);
    const second = await kms.send(new ListKeysCommand({ Limit: 1000, Marker: first.NextMarker }));
    const ids = [...(first.Keys ?? []), ...(second.Keys ?? [])].map((k) => k.KeyId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(second.Truncated).toBe(false);
  });
});
