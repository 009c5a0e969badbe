import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateRandomCommand,
  GetKeyRotationStatusCommand,
  ListKeyRotationsCommand,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { expectError } from './helpers/errors.js';

const OTHER = { accountId: '444455556666', accessKeyId: 'other', secretAccessKey: 'other-secret' };
// AWS sends InvalidCiphertextException with no message; the JS SDK then reports 'UnknownError'.
const INVALID_CIPHERTEXT = 'UnknownError';
const DRY_RUN = 'The request would have succeeded, but the DryRun option is set.';

let t: TestKmsd;
let kms: KMSClient;
let other: KMSClient;

beforeAll(async () => {
  t = await startKmsd({
    config: {
      accounts: [
        { accountId: '111122223333', credentials: [{ accessKeyId: 'test', secretAccessKey: 'test' }] },
        { accountId: OTHER.accountId, credentials: [{ accessKeyId: OTHER.accessKeyId, secretAccessKey: OTHER.secretAccessKey }] },
      ],
    },
  });
  kms = t.kms();
  other = t.kms({ accessKeyId: OTHER.accessKeyId, secretAccessKey: OTHER.secretAccessKey });
});
afterAll(async () => t.close());

async function newKey(client: KMSClient = kms): Promise<{ KeyId: string; Arn: string; MaterialId: string }> {
  const { KeyMetadata } = await client.send(new CreateKeyCommand({}));
  if (!KeyMetadata?.KeyId || !KeyMetadata.Arn || !KeyMetadata.CurrentKeyMaterialId) throw new Error('CreateKey returned no key');
  return { KeyId: KeyMetadata.KeyId, Arn: KeyMetadata.Arn, MaterialId: KeyMetadata.CurrentKeyMaterialId };
}

function text(b: Uint8Array | undefined): string {
  return Buffer.from(b ?? new Uint8Array()).toString();
}

describe('ReEncrypt', () => {
  it('moves a ciphertext to another key and context without revealing the plaintext', async () => {
    const src = await newKey();
    const dst = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/re-dst', TargetKeyId: dst.KeyId }));
    const enc = await kms.send(new EncryptCommand({ KeyId: src.KeyId, Plaintext: Buffer.from('move me'), EncryptionContext: { a: '1' } }));
    const re = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: enc.CiphertextBlob,
        SourceEncryptionContext: { a: '1' },
        SourceKeyId: src.Arn,
        DestinationKeyId: 'alias/re-dst',
        DestinationEncryptionContext: { b: '2' },
      }),
    );
    expect(re).toMatchObject({
      SourceKeyId: src.Arn,
      KeyId: dst.Arn,
      SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      SourceKeyMaterialId: src.MaterialId,
      DestinationKeyMaterialId: dst.MaterialId,
    });
    expect(re).not.toHaveProperty('Plaintext');
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { b: '2' } }));
    expect(text(dec.Plaintext)).toBe('move me');
    expect(dec.KeyId).toBe(dst.Arn);
  });

  it('checks the source context, the source key and the destination state', async () => {
    const src = await newKey();
    const dst = await newKey();
    const wrong = await newKey();
    const enc = await kms.send(new EncryptCommand({ KeyId: src.KeyId, Plaintext: Buffer.from('x'), EncryptionContext: { a: '1' } }));
    await expectError(
      kms.send(new ReEncryptCommand({ CiphertextBlob: enc.CiphertextBlob, DestinationKeyId: dst.KeyId })),
      'InvalidCiphertextException',
      400,
      INVALID_CIPHERTEXT,
    );
    await expectError(
      kms.send(
        new ReEncryptCommand({
          CiphertextBlob: enc.CiphertextBlob,
          SourceEncryptionContext: { a: '1' },
          SourceKeyId: wrong.KeyId,
          DestinationKeyId: dst.KeyId,
        }),
      ),
      'IncorrectKeyException',
      400,
      'The key ID in the request does not identify a CMK that can perform this operation.',
    );
    await kms.send(new DisableKeyCommand({ KeyId: dst.KeyId }));
    await expectError(
      kms.send(
        new ReEncryptCommand({ CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: { a: '1' }, DestinationKeyId: dst.KeyId }),
      ),
      'DisabledException',
      400,
      `${dst.Arn} is disabled.`,
    );
    await expectError(
      kms.send(
        new ReEncryptCommand({
          CiphertextBlob: enc.CiphertextBlob,
          SourceEncryptionContext: { a: '1' },
          DestinationKeyId: src.KeyId,
          DryRun: true,
        }),
      ),
      'DryRunOperationException',
      400,
      DRY_RUN,
    );
    // IGNORE_CIPHERTEXT: only the destination is checked; without it a blob is required.
    await expectError(
      kms.send(new ReEncryptCommand({ DestinationKeyId: src.KeyId, DryRun: true, DryRunModifiers: ['IGNORE_CIPHERTEXT'] })),
      'DryRunOperationException',
      400,
      DRY_RUN,
    );
    await expectError(
      kms.send(new ReEncryptCommand({ DestinationKeyId: src.KeyId, DryRun: true })),
      'ValidationException',
      400,
      "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null",
    );
  });
});

describe('data keys and random bytes', () => {
  it('generates a data key by KeySpec or NumberOfBytes whose ciphertext decrypts to it', async () => {
    const key = await newKey();
    const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256', EncryptionContext: { use: 'disk' } }));
    expect(dk.Plaintext?.length).toBe(32);
    expect(dk.KeyId).toBe(key.Arn);
    expect(dk.KeyMaterialId).toBe(key.MaterialId);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: { use: 'disk' } }));
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).equals(Buffer.from(dk.Plaintext ?? new Uint8Array()))).toBe(true);

    expect((await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_128' }))).Plaintext?.length).toBe(16);
    expect((await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, NumberOfBytes: 1024 }))).Plaintext?.length).toBe(1024);

    const np = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.Arn, NumberOfBytes: 7 }));
    expect(np).not.toHaveProperty('Plaintext');
    expect(np.KeyId).toBe(key.Arn);
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: np.CiphertextBlob }))).Plaintext?.length).toBe(7);
  });

  it('needs exactly one of KeySpec and NumberOfBytes, within 1–1024', async () => {
    const key = await newKey();
    const either = 'Please specify either number of bytes or key spec.';
    await expectError(kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId })), 'ValidationException', 400, either);
    await expectError(
      kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.KeyId, KeySpec: 'AES_256', NumberOfBytes: 32 })),
      'ValidationException',
      400,
      either,
    );
    await expectError(
      kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, NumberOfBytes: 1025 })),
      'ValidationException',
      400,
      "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
    );
    await expectError(
      kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256', DryRun: true })),
      'DryRunOperationException',
      400,
      DRY_RUN,
    );
  });

  it('generates random bytes', async () => {
    const a = await kms.send(new GenerateRandomCommand({ NumberOfBytes: 64 }));
    const b = await kms.send(new GenerateRandomCommand({ NumberOfBytes: 64 }));
    expect(a.Plaintext?.length).toBe(64);
    expect(Buffer.from(a.Plaintext ?? new Uint8Array()).equals(Buffer.from(b.Plaintext ?? new Uint8Array()))).toBe(false);
    await expectError(
      kms.send(new GenerateRandomCommand({ NumberOfBytes: 0 })),
      'ValidationException',
      400,
      "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    await expectError(
      kms.send(new GenerateRandomCommand({ NumberOfBytes: 8, CustomKeyStoreId: 'cks-1234567890abcdef0' })),
      'CustomKeyStoreNotFoundException',
      400,
      'Custom key store cks-1234567890abcdef0 does not exist.',
    );
  });
});

describe('rotation', () => {
  it('enables, reports and disables automatic rotation', async () => {
    const key = await newKey();
    expect(await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }))).toMatchObject({
      KeyRotationEnabled: false,
      KeyId: key.Arn,
    });
    const before = Date.now();
    await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId }));
    const on = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.Arn }));
    expect(on.KeyRotationEnabled).toBe(true);
    expect(on.RotationPeriodInDays).toBe(365);
    expect(on.NextRotationDate?.getTime()).toBeGreaterThanOrEqual(before + 365 * 86_400_000 - 1000);
    expect(on.OnDemandRotationStartDate).toBeUndefined();
    await expectError(
      kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 89 })),
      'ValidationException',
      400,
      "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90",
    );
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }))).RotationPeriodInDays).toBe(365);
    await kms.send(new DisableKeyRotationCommand({ KeyId: key.KeyId }));
    const off = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
    expect(off.KeyRotationEnabled).toBe(false);
    expect(off.NextRotationDate).toBeUndefined();
  });

  it('rotates on demand: new current material, old ciphertexts still decrypt', async () => {
    const key = await newKey();
    const old = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('v1') }));
    const res = await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
    expect(res.KeyId).toBe(key.Arn);
    const current = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.CurrentKeyMaterialId;
    expect(current).toMatch(/^[a-f0-9]{64}$/);
    expect(current).not.toBe(key.MaterialId);

    const fresh = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('v2') }));
    const decOld = await kms.send(new DecryptCommand({ CiphertextBlob: old.CiphertextBlob }));
    expect(text(decOld.Plaintext)).toBe('v1');
    expect(decOld.KeyMaterialId).toBe(key.MaterialId);
    const decNew = await kms.send(new DecryptCommand({ CiphertextBlob: fresh.CiphertextBlob }));
    expect(decNew.KeyMaterialId).toBe(current);

    const rotations = await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId }));
    expect(rotations.Rotations).toHaveLength(1);
    expect(rotations.Rotations?.[0]).toMatchObject({ KeyMaterialId: current, RotationType: 'ON_DEMAND', KeyMaterialState: 'CURRENT' });
    expect(rotations.Rotations?.[0].RotationDate).toBeInstanceOf(Date);
    const all = await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }));
    expect(all.Rotations?.map((r) => [r.KeyMaterialId, r.KeyMaterialState])).toEqual([
      [key.MaterialId, 'NON_CURRENT'],
      [current, 'CURRENT'],
    ]);
    const paged = await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL', Limit: 1 }));
    expect(paged.Truncated).toBe(true);
    const rest = await kms.send(
      new ListKeyRotationsCommand({ KeyId: key.KeyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL', Marker: paged.NextMarker }),
    );
    expect(rest.Rotations?.map((r) => r.KeyMaterialId)).toEqual([current]);
  });

  it('refuses rotation for a disabled key or one pending deletion', async () => {
    const key = await newKey();
    await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    await expectError(kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId })), 'DisabledException', 400, `${key.Arn} is disabled.`);
    await expectError(kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId })), 'DisabledException', 400, `${key.Arn} is disabled.`);
    expect((await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId }))).Rotations).toEqual([]);
    const doomed = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed.KeyId, PendingWindowInDays: 7 }));
    await expectError(
      kms.send(new RotateKeyOnDemandCommand({ KeyId: doomed.KeyId })),
      'KMSInvalidStateException',
      400,
      `${doomed.Arn} is pending deletion.`,
    );
  });
  it('refuses every rotation operation for a key in a custom key store', async () => {
    const key = await newKey();
    // No custom key store can be created through this branch yet: mark the stored key as one.
    const scope = { account: '111122223333', region: 'us-east-1' };
    const table = t.kmsd.store.table<Record<string, unknown>>('kms_keys');
    const row = await table.get(scope, key.KeyId);
    await table.put(scope, key.KeyId, { ...row, origin: 'AWS_CLOUDHSM', customKeyStoreId: 'cks-0123456789abcdef0' });
    const message = `${key.Arn} origin is AWS_CLOUDHSM which is not valid for this operation.`;
    // Operations that read the key only: refused for its origin.
    for (const call of [
      () => kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId })),
      () => kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId })),
    ]) {
      await expectError(call(), 'UnsupportedOperationException', 400, message);
    }
    // Operations that change it check the key state first (as AWS does for a key pending
    // import): this store is not connected, so the key is Unavailable.
    for (const call of [
      () => kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId })),
      () => kms.send(new DisableKeyRotationCommand({ KeyId: key.KeyId })),
      () => kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId })),
    ]) {
      await expectError(call(), 'KMSInvalidStateException', 400, `${key.Arn} is unavailable.`);
    }
  });
});

describe('bad input', () => {
  it('rejects plaintext over 4096 bytes in Coral form without echoing it', async () => {
    const key = await newKey();
    await expectError(
      kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.alloc(4097, 1) })),
      'ValidationException',
      400,
      "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    );
  });

  it('reports an unknown key and an unknown alias as NotFoundException', async () => {
    const missing = '5d3e5c9a-3b1f-4e8e-9a43-0f0e7d2b6c11';
    await expectError(
      kms.send(new EncryptCommand({ KeyId: missing, Plaintext: Buffer.from('x') })),
      'NotFoundException',
      400,
      `Key 'arn:aws:kms:us-east-1:111122223333:key/${missing}' does not exist`,
    );
    await expectError(
      kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/nobody', KeySpec: 'AES_256' })),
      'NotFoundException',
      400,
      'Alias arn:aws:kms:us-east-1:111122223333:alias/nobody is not found.',
    );
  });

  it('refuses a disabled key (400 DisabledException) and a key pending deletion (400 KMSInvalidStateException)', async () => {
    const disabled = await newKey();
    await kms.send(new DisableKeyCommand({ KeyId: disabled.KeyId }));
    await expectError(
      kms.send(new GenerateDataKeyCommand({ KeyId: disabled.KeyId, KeySpec: 'AES_256' })),
      'DisabledException',
      400,
      `${disabled.Arn} is disabled.`,
    );
    const pending = await newKey();
    const enc = await kms.send(new EncryptCommand({ KeyId: pending.KeyId, Plaintext: Buffer.from('x') }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: pending.KeyId, PendingWindowInDays: 7 }));
    await expectError(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })),
      'KMSInvalidStateException',
      400,
      `${pending.Arn} is pending deletion.`,
    );
  });

  it('rejects a wrong or missing encryption context', async () => {
    const key = await newKey();
    const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x'), EncryptionContext: { k: 'v' } }));
    const contexts: (Record<string, string> | undefined)[] = [{ k: 'V' }, {}, { k: 'v', extra: '1' }, undefined];
    for (const ctx of contexts) {
      await expectError(
        kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctx })),
        'InvalidCiphertextException',
        400,
        INVALID_CIPHERTEXT,
      );
    }
  });

  it('rejects tampered, truncated and foreign ciphertext', async () => {
    const key = await newKey();
    const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('secret') }));
    const blob = Buffer.from(enc.CiphertextBlob ?? new Uint8Array());
    const tampered = Buffer.from(blob);
    tampered[tampered.length - 1] ^= 0x01;
    const headerFlip = Buffer.from(blob);
    headerFlip[40] ^= 0x01;
    const foreign = Buffer.from(
      (await other.send(new EncryptCommand({ KeyId: (await newKey(other)).KeyId, Plaintext: Buffer.from('theirs') }))).CiphertextBlob ??
        new Uint8Array(),
    );
    for (const bad of [tampered, headerFlip, blob.subarray(0, 80), blob.subarray(0, 10), Buffer.from('not a kmsd blob'), foreign]) {
      await expectError(kms.send(new DecryptCommand({ CiphertextBlob: bad })), 'InvalidCiphertextException', 400, INVALID_CIPHERTEXT);
    }
  });

  it("refuses another account's key ARN unless its key policy allows the caller (authorization.md §3.3)", async () => {
    const theirs = await newKey(other);
    const refused = (action: string) =>
      `User: arn:aws:iam::111122223333:root is not authorized to perform: ${action} on resource: ${theirs.Arn} because no resource-based policy allows the ${action} action`;
    await expectError(
      kms.send(new EncryptCommand({ KeyId: theirs.Arn, Plaintext: Buffer.from('x') })),
      'AccessDeniedException',
      400,
      refused('kms:Encrypt'),
    );
    await expectError(
      kms.send(new ScheduleKeyDeletionCommand({ KeyId: theirs.Arn, PendingWindowInDays: 7 })),
      'AccessDeniedException',
      400,
      refused('kms:ScheduleKeyDeletion'),
    );
    expect((await other.send(new DescribeKeyCommand({ KeyId: theirs.KeyId }))).KeyMetadata?.KeyState).toBe('Enabled');
  });

  it('changes nothing stored when a request is rejected', async () => {
    const key = await newKey();
    const scope = { account: '111122223333', region: 'us-east-1' };
    const before = await t.kmsd.store.table('kms_keys').get(scope, key.KeyId);
    await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    const disabled = await t.kmsd.store.table('kms_keys').get(scope, key.KeyId);
    await expectError(kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId })), 'DisabledException', 400, `${key.Arn} is disabled.`);
    await expectError(
      kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 3 })),
      'ValidationException',
      400,
      "1 validation error detected: Value '3' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7",
    );
    expect(before).toMatchObject({ state: 'Enabled' });
    expect(await t.kmsd.store.table('kms_keys').get(scope, key.KeyId)).toEqual(disabled);
    expect(await t.kmsd.store.table('kms_key_material').count(scope, `${key.KeyId}/`)).toBe(1);
  });
});

// UTF-8 has no bytes for "\ud800": encoded naively it becomes U+FFFD, and the two contexts
// would open each other's ciphertexts. kmsd refuses the unpaired surrogate (issue 10).
describe('encryption contexts with an unpaired surrogate', () => {
  const LONE = 'Encryption context keys and values must be well-formed Unicode: an unpaired surrogate (U+D800 to U+DFFF) is not allowed.';

  it('a ciphertext bound to "\\ufffd" does not decrypt with "\\ud800", and "\\ud800" binds nothing', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const KeyId = KeyMetadata?.KeyId;
    const Plaintext = Buffer.from('secret');
    const sealed = await kms.send(new EncryptCommand({ KeyId, Plaintext, EncryptionContext: { purpose: '\ufffd' } }));
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { purpose: '\ufffd' } }));
    expect(Buffer.from(opened.Plaintext ?? []).toString()).toBe('secret');

    // The SDK sends "\ud800" as the JSON escape, which is how it reaches kmsd.
    const refused: (() => Promise<unknown>)[] = [
      () => kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { purpose: '\ud800' } })),
      () => kms.send(new EncryptCommand({ KeyId, Plaintext, EncryptionContext: { purpose: '\ud800' } })),
      () => kms.send(new EncryptCommand({ KeyId, Plaintext, EncryptionContext: { '\udfff': 'x' } })),
      () => kms.send(new GenerateDataKeyCommand({ KeyId, KeySpec: 'AES_256', EncryptionContext: { a: 'x\udc00' } })),
      () =>
        kms.send(
          new ReEncryptCommand({
            CiphertextBlob: sealed.CiphertextBlob,
            SourceEncryptionContext: { purpose: '\ufffd' },
            DestinationKeyId: KeyId,
            DestinationEncryptionContext: { b: '\ud83d' },
          }),
        ),
    ];
    for (const call of refused) await expectError(call(), 'ValidationException', 400, LONE);
    // A well-formed pair (an emoji) is a character like any other.
    const emoji = await kms.send(new EncryptCommand({ KeyId, Plaintext, EncryptionContext: { purpose: '\ud83d\ude00' } }));
    await expectError(
      kms.send(new DecryptCommand({ CiphertextBlob: emoji.CiphertextBlob, EncryptionContext: { purpose: '\ufffd' } })),
      'InvalidCiphertextException',
      400,
      INVALID_CIPHERTEXT,
    );
  });
});
