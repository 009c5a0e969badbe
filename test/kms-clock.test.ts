/**
 * Work that happens on the service clock: final key deletion after the waiting period and
 * automatic rotation. The clock moves through the test route; the SDK client is told the
 * same offset before every call so its SigV4 timestamps stay within the server's 5-minute
 * window (the SDK would otherwise "correct" its offset from the HTTP Date header, which Node
 * writes from the real clock).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { DEV, REGION, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { expectError } from './helpers/errors.js';

const DAY = 24 * 60 * 60;
let t: TestKmsd;
let kms: KMSClient;
let offsetSeconds = 0;

beforeAll(async () => {
  t = await startKmsd();
  kms = clientNow();
});
afterAll(async () => {
  kms.destroy();
  await t.close();
});

function clientNow(): KMSClient {
  const client = new KMSClient({
    endpoint: t.url,
    region: REGION,
    credentials: { accessKeyId: DEV.accessKeyId, secretAccessKey: DEV.secretAccessKey },
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next) => (args) => {
      client.config.systemClockOffset = offsetSeconds * 1000;
      return next(args);
    },
    { step: 'initialize', name: 'serviceClockOffset' },
  );
  return client;
}

async function advance(seconds: number): Promise<void> {
  await t.advanceClock(seconds);
  offsetSeconds += seconds;
}

async function newKeyId(): Promise<{ KeyId: string; Arn: string }> {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
  if (!KeyMetadata?.KeyId || !KeyMetadata.Arn) throw new Error('CreateKey returned no key');
  return { KeyId: KeyMetadata.KeyId, Arn: KeyMetadata.Arn };
}

describe('service clock', () => {
  it('deletes a key, its material and its aliases once the waiting period passes', async () => {
    const key = await newKeyId();
    const keep = await newKeyId();
    const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('gone soon') }));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/doomed', TargetKeyId: key.KeyId }));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/kept', TargetKeyId: keep.KeyId }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));

    await advance(6 * DAY);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState).toBe('PendingDeletion');

    await advance(DAY + 60);
    // The sweeper ran with the clock move: the rows are gone, not merely hidden.
    const scope = { account: DEV.accountId, region: REGION };
    expect(await t.kmsd.store.table('kms_keys').get(scope, key.KeyId)).toBeUndefined();
    expect(await t.kmsd.store.table('kms_key_material').count(scope, `${key.KeyId}/`)).toBe(0);
    expect(await t.kmsd.store.table('kms_key_material').count(scope, `${keep.KeyId}/`)).toBe(1);

    await expectError(kms.send(new DescribeKeyCommand({ KeyId: key.KeyId })), 'NotFoundException', 400, `Key '${key.Arn}' does not exist`);
    await expectError(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })),
      'InvalidCiphertextException',
      400,
      'UnknownError' /* AWS sends no message; the SDK shows this */,
    );
    const aliases = (await kms.send(new ListAliasesCommand({}))).Aliases?.map((a) => a.AliasName);
    expect(aliases?.filter((name) => !name?.startsWith('alias/aws/'))).toEqual(['alias/kept']);
    const keys = (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys?.map((k) => k.KeyId);
    expect(keys).not.toContain(key.KeyId);
    expect(keys).toContain(keep.KeyId);
  });

  it('rotates automatically when the rotation date passes, not while disabled; old ciphertext still decrypts', async () => {
    const key = await newKeyId();
    const old = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('before rotation') }));
    await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 90 }));
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
    expect(status.KeyRotationEnabled).toBe(true);
    expect(status.RotationPeriodInDays).toBe(90);
    const next = status.NextRotationDate?.getTime() ?? 0;

    await advance(89 * DAY);
    expect((await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId }))).Rotations).toEqual([]);

    await advance(DAY + 60);
    const rotations = (await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId }))).Rotations ?? [];
    expect(rotations).toHaveLength(1);
    expect(rotations[0]).toMatchObject({ KeyId: key.KeyId, RotationType: 'AUTOMATIC', KeyMaterialState: 'CURRENT' });
    const described = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata;
    expect(described?.CurrentKeyMaterialId).toBe(rotations[0].KeyMaterialId);
    const after = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
    expect(after.NextRotationDate?.getTime()).toBeGreaterThan(next + 89 * DAY * 1000);

    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: old.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe('before rotation');
    expect(dec.KeyMaterialId).not.toBe(rotations[0].KeyMaterialId);

    // A disabled key is not rotated; re-enabling it rotates the overdue key on the next sweep.
    await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    await advance(91 * DAY);
    expect((await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId }))).Rotations).toHaveLength(1);
    await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
    await advance(1);
    expect((await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId }))).Rotations).toHaveLength(2);
  });

  // Last: it leaves the clock moved (it only moves forward).
  it("answers with the service clock's time in the Date header, also right after the clock moves", async () => {
    const dateOf = async () => new Date((await fetch(`${t.url}/health`)).headers.get('date') ?? '').getTime();
    const before = await dateOf();
    await advance(3 * DAY);
    const after = await dateOf();
    // Whole seconds on the wire; the two requests are moments apart on the real clock.
    expect(Math.round((after - before) / 1000 / DAY)).toBe(3);
  });
});
