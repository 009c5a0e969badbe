/**
 * Multi-Region keys end to end through the JS SDK (one client per Region against one kmsd)
 * and /usr/bin/aws: CreateKey MultiRegion, ReplicateKey, cross-Region cryptography,
 * rotation reaching replicas, UpdatePrimaryRegion and deletion in every order. Expected
 * shapes and texts follow AWS's recorded answers (LocalStack test_replicate_key,
 * test_create_multi_region_key, test_replicate_replica_key_should_fail).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateMacCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  GetPublicKeyCommand,
  KMSClient,
  ListKeyRotationsCommand,
  ReplicateKeyCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  UpdateKeyDescriptionCommand,
  UpdatePrimaryRegionCommand,
  VerifyCommand,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import { awsCli, DEV, removeDir, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { expectAwsError } from './helpers/errors.js';

const DAY = 24 * 60 * 60;
const ACCOUNT = DEV.accountId;
const EAST = 'us-east-1';
const WEST = 'eu-west-1';
const ASIA = 'ap-southeast-1';
/** Replicas stay Creating, and swapped keys Updating, this long (service clock). */
const TRANSITION_SECONDS = 2;

let t: TestKmsd;
let east: KMSClient;
let west: KMSClient;
let asia: KMSClient;

/** An SDK client that signs with the service clock, however far the tests moved it. */
function regionClient(region: string): KMSClient {
  const client = t.kms({ region });
  client.middlewareStack.add(
    (next) => (args) => {
      client.config.systemClockOffset = t.serviceNow().getTime() - Date.now();
      return next(args);
    },
    { step: 'initialize', name: 'serviceClockOffset' },
  );
  return client;
}

beforeAll(async () => {
  t = await startKmsd({ multiRegionTransitionMs: TRANSITION_SECONDS * 1000 });
  east = regionClient(EAST);
  west = regionClient(WEST);
  asia = regionClient(ASIA);
});
afterAll(async () => {
  await t.close();
});

function arnIn(region: string, keyId: string): string {
  return `arn:aws:kms:${region}:${ACCOUNT}:key/${keyId}`;
}

function metadata(md: KeyMetadata | undefined): KeyMetadata {
  if (!md?.KeyId) throw new Error('no KeyMetadata');
  return md;
}

async function createPrimary(input: ConstructorParameters<typeof CreateKeyCommand>[0] = {}): Promise<string> {
  const md = metadata((await east.send(new CreateKeyCommand({ ...input, MultiRegion: true }))).KeyMetadata);
  return md.KeyId ?? '';
}

async function describe_(client: KMSClient, keyId: string): Promise<KeyMetadata> {
  return metadata((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata);
}

/** Replicates and lets the replica finish Creating. */
async function replicate(keyId: string, region: string): Promise<void> {
  await east.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: region }));
  await t.advanceClock(TRANSITION_SECONDS);
}

async function encrypt(client: KMSClient, keyId: string, text: string): Promise<Uint8Array> {
  const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(text) }));
  if (!CiphertextBlob) throw new Error('no ciphertext');
  return CiphertextBlob;
}

async function decrypt(client: KMSClient, blob: Uint8Array, keyId?: string): Promise<string> {
  const { Plaintext } = await client.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: keyId }));
  return Buffer.from(Plaintext ?? new Uint8Array()).toString();
}

describe('CreateKey MultiRegion and ReplicateKey', () => {
  it('creates a primary with an mrk- id and its MultiRegionConfiguration', async () => {
    const md = metadata((await east.send(new CreateKeyCommand({ MultiRegion: true, Description: 'mrk' }))).KeyMetadata);
    expect(md.KeyId).toMatch(/^mrk-[0-9a-f]{32}$/);
    expect(md).toMatchObject({
      Arn: arnIn(EAST, md.KeyId ?? ''),
      MultiRegion: true,
      KeyState: 'Enabled',
      MultiRegionConfiguration: {
        MultiRegionKeyType: 'PRIMARY',
        PrimaryKey: { Arn: arnIn(EAST, md.KeyId ?? ''), Region: EAST },
        ReplicaKeys: [],
      },
    });
    const single = metadata((await east.send(new CreateKeyCommand({}))).KeyMetadata);
    expect(single.MultiRegion).toBe(false);
    expect(single.MultiRegionConfiguration).toBeUndefined();
    // Not replicated yet: the id means nothing in another Region (LS test_replicate_key).
    await expectAwsError(
      west.send(new DescribeKeyCommand({ KeyId: md.KeyId })),
      'NotFoundException',
      `Key '${arnIn(WEST, md.KeyId ?? '')}' does not exist`,
    );
  });

  it('replicates with the same id and material, its own policy, description and tags', async () => {
    const keyId = await createPrimary({ Description: 'the primary', Tags: [{ TagKey: 'side', TagValue: 'east' }] });
    const blob = await encrypt(east, keyId, 'made in us-east-1');
    const res = await east.send(
      new ReplicateKeyCommand({
        KeyId: keyId,
        ReplicaRegion: WEST,
        Description: 'the replica',
        Tags: [{ TagKey: 'side', TagValue: 'west' }],
      }),
    );
    const replicaArn = arnIn(WEST, keyId);
    const family = {
      PrimaryKey: { Arn: arnIn(EAST, keyId), Region: EAST },
      ReplicaKeys: [{ Arn: replicaArn, Region: WEST }],
    };
    // As recorded from AWS: the answer comes while the replica is still Creating.
    expect(res.ReplicaKeyMetadata).toMatchObject({
      KeyId: keyId,
      Arn: replicaArn,
      Description: 'the replica',
      Enabled: false,
      KeyState: 'Creating',
      KeyManager: 'CUSTOMER',
      MultiRegion: true,
      MultiRegionConfiguration: { MultiRegionKeyType: 'REPLICA', ...family },
    });
    expect(res.ReplicaKeyMetadata?.CurrentKeyMaterialId).toBeUndefined();
    expect(res.ReplicaTags).toEqual([{ TagKey: 'side', TagValue: 'west' }]);
    const single = metadata((await east.send(new CreateKeyCommand({}))).KeyMetadata);
    const defaultPolicy = (await east.send(new GetKeyPolicyCommand({ KeyId: single.KeyId }))).Policy;
    expect(res.ReplicaPolicy).toBe(defaultPolicy);
    await expectAwsError(
      west.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })),
      'KMSInvalidStateException',
      `${replicaArn} is creating.`,
    );

    await t.advanceClock(TRANSITION_SECONDS);
    const primary = await describe_(east, keyId);
    const replica = await describe_(west, keyId);
    expect(primary).toMatchObject({ Description: 'the primary', MultiRegionConfiguration: { MultiRegionKeyType: 'PRIMARY', ...family } });
    expect(replica).toMatchObject({
      KeyState: 'Enabled',
      Enabled: true,
      MultiRegionConfiguration: { MultiRegionKeyType: 'REPLICA', ...family },
    });
    expect(replica.CurrentKeyMaterialId).toBe(primary.CurrentKeyMaterialId);

    // A ciphertext from us-east-1 decrypts with the replica in eu-west-1, and back.
    expect(await decrypt(west, blob)).toBe('made in us-east-1');
    expect(await decrypt(west, blob, replicaArn)).toBe('made in us-east-1');
    expect(await decrypt(east, await encrypt(west, keyId, 'made in eu-west-1'))).toBe('made in eu-west-1');

    // Description and state are each key's own.
    await west.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: 'renamed replica' }));
    await west.send(new DisableKeyCommand({ KeyId: keyId }));
    expect(await describe_(east, keyId)).toMatchObject({ Description: 'the primary', KeyState: 'Enabled' });
    await expectAwsError(west.send(new DecryptCommand({ CiphertextBlob: blob })), 'DisabledException', `${replicaArn} is disabled.`);
    expect(await decrypt(east, blob)).toBe('made in us-east-1');
    await west.send(new EnableKeyCommand({ KeyId: keyId }));
  });

  it('keeps a given replica policy and refuses what AWS refuses', async () => {
    const keyId = await createPrimary();
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
    });
    const res = await east.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: WEST, Policy: policy }));
    expect(res.ReplicaPolicy).toBe(policy);
    expect(res.ReplicaTags).toBeUndefined();
    await t.advanceClock(TRANSITION_SECONDS);

    await expectAwsError(
      east.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: WEST })),
      'AlreadyExistsException',
      `Replica key ${arnIn(WEST, keyId)} already exists.`,
    );
    // A replica cannot be replicated (recorded AWS text).
    await expectAwsError(
      west.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: WEST })),
      'UnsupportedOperationException',
      `${arnIn(WEST, keyId)} is not a multi-region primary key.`,
    );
    await expectAwsError(
      east.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: EAST })),
      'UnsupportedOperationException',
      `${arnIn(EAST, keyId)} cannot be replicated to its own Region ${EAST}.`,
    );
    const single = metadata((await east.send(new CreateKeyCommand({}))).KeyMetadata);
    await expectAwsError(
      east.send(new ReplicateKeyCommand({ KeyId: single.KeyId, ReplicaRegion: WEST })),
      'UnsupportedOperationException',
      `${single.Arn} is not a multi-region primary key.`,
    );
    await expectAwsError(
      east.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: ASIA, Policy: 'not json' })),
      'MalformedPolicyDocumentException',
      'The new key policy will not allow you to update the key policy in the future.',
    );
    await east.send(new DisableKeyCommand({ KeyId: keyId }));
    await expectAwsError(
      east.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: ASIA })),
      'DisabledException',
      `${arnIn(EAST, keyId)} is disabled.`,
    );
    // None of the refusals created anything in ap-southeast-1.
    await expectAwsError(
      asia.send(new DescribeKeyCommand({ KeyId: keyId })),
      'NotFoundException',
      `Key '${arnIn(ASIA, keyId)}' does not exist`,
    );
    expect((await describe_(east, keyId)).MultiRegionConfiguration?.ReplicaKeys).toEqual([{ Arn: arnIn(WEST, keyId), Region: WEST }]);
  });
});

describe('rotation of a multi-Region key', () => {
  it('is managed on the primary and reaches every replica', async () => {
    const keyId = await createPrimary();
    await replicate(keyId, WEST);
    await replicate(keyId, ASIA);
    const before = await encrypt(east, keyId, 'first material');
    const first = (await describe_(east, keyId)).CurrentKeyMaterialId;

    await expectAwsError(
      west.send(new EnableKeyRotationCommand({ KeyId: keyId })),
      'UnsupportedOperationException',
      `${arnIn(WEST, keyId)} is not a multi-region primary key.`,
    );
    await expectAwsError(
      west.send(new RotateKeyOnDemandCommand({ KeyId: keyId })),
      'UnsupportedOperationException',
      `${arnIn(WEST, keyId)} is not a multi-region primary key.`,
    );
    await east.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
    const current = (await describe_(east, keyId)).CurrentKeyMaterialId;
    expect(current).toMatch(/^[0-9a-f]{64}$/);
    expect(current).not.toBe(first);
    for (const client of [west, asia]) expect((await describe_(client, keyId)).CurrentKeyMaterialId).toBe(current);
    expect((await west.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations?.map((r) => r.KeyMaterialId)).toContain(current);

    // New material made in one Region decrypts in the others; old material still works.
    const rotated = await encrypt(asia, keyId, 'second material');
    expect(await decrypt(east, rotated)).toBe('second material');
    expect(await decrypt(west, rotated)).toBe('second material');
    expect(await decrypt(asia, before)).toBe('first material');

    // Automatic rotation: set on the primary, shown by replicas, rotating all of them.
    await east.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 90 }));
    expect(await west.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).toMatchObject({
      KeyRotationEnabled: true,
      RotationPeriodInDays: 90,
    });
    await t.advanceClock(91 * DAY);
    const automatic = (await describe_(east, keyId)).CurrentKeyMaterialId;
    expect(automatic).not.toBe(current);
    expect((await describe_(west, keyId)).CurrentKeyMaterialId).toBe(automatic);
    expect(await decrypt(east, await encrypt(west, keyId, 'third material'))).toBe('third material');
  });
});

describe('UpdatePrimaryRegion', () => {
  it('swaps the roles, with both keys Updating for a moment', async () => {
    const keyId = await createPrimary();
    await replicate(keyId, WEST);
    await replicate(keyId, ASIA);
    await east.send(new UpdatePrimaryRegionCommand({ KeyId: keyId, PrimaryRegion: WEST }));

    expect((await describe_(east, keyId)).KeyState).toBe('Updating');
    expect((await describe_(west, keyId)).KeyState).toBe('Updating');
    expect((await describe_(asia, keyId)).KeyState).toBe('Enabled');
    // Updating keys still serve cryptography, but refuse state changes.
    expect(await decrypt(west, await encrypt(east, keyId, 'while updating'))).toBe('while updating');
    await expectAwsError(
      east.send(new DisableKeyCommand({ KeyId: keyId })),
      'KMSInvalidStateException',
      `${arnIn(EAST, keyId)} is updating.`,
    );

    await t.advanceClock(TRANSITION_SECONDS);
    const family = {
      PrimaryKey: { Arn: arnIn(WEST, keyId), Region: WEST },
      ReplicaKeys: [
        { Arn: arnIn(EAST, keyId), Region: EAST },
        { Arn: arnIn(ASIA, keyId), Region: ASIA },
      ],
    };
    expect(await describe_(west, keyId)).toMatchObject({
      KeyState: 'Enabled',
      MultiRegionConfiguration: { MultiRegionKeyType: 'PRIMARY', ...family },
    });
    expect(await describe_(east, keyId)).toMatchObject({
      KeyState: 'Enabled',
      MultiRegionConfiguration: { MultiRegionKeyType: 'REPLICA', ...family },
    });
    expect(await describe_(asia, keyId)).toMatchObject({ MultiRegionConfiguration: { MultiRegionKeyType: 'REPLICA', ...family } });

    // The new primary manages rotation and replication; the old one no longer does.
    await expectAwsError(
      east.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'us-west-2' })),
      'UnsupportedOperationException',
      `${arnIn(EAST, keyId)} is not a multi-region primary key.`,
    );
    await west.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
    expect((await describe_(east, keyId)).CurrentKeyMaterialId).toBe((await describe_(west, keyId)).CurrentKeyMaterialId);

    await expectAwsError(
      west.send(new UpdatePrimaryRegionCommand({ KeyId: keyId, PrimaryRegion: 'sa-east-1' })),
      'NotFoundException',
      `Key '${arnIn('sa-east-1', keyId)}' does not exist`,
    );
    await expectAwsError(
      east.send(new UpdatePrimaryRegionCommand({ KeyId: keyId, PrimaryRegion: ASIA })),
      'UnsupportedOperationException',
      `${arnIn(EAST, keyId)} is not a multi-region primary key.`,
    );
  });

  it('keeps a disabled replica disabled through the swap', async () => {
    const keyId = await createPrimary();
    await replicate(keyId, WEST);
    await west.send(new DisableKeyCommand({ KeyId: keyId }));
    await east.send(new UpdatePrimaryRegionCommand({ KeyId: keyId, PrimaryRegion: WEST }));
    await expectAwsError(
      west.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })),
      'DisabledException',
      `${arnIn(WEST, keyId)} is disabled.`,
    );
    await t.advanceClock(TRANSITION_SECONDS);
    expect(await describe_(west, keyId)).toMatchObject({
      KeyState: 'Disabled',
      MultiRegionConfiguration: { MultiRegionKeyType: 'PRIMARY' },
    });
    await expectAwsError(
      west.send(new UpdatePrimaryRegionCommand({ KeyId: keyId, PrimaryRegion: EAST })),
      'DisabledException',
      `${arnIn(WEST, keyId)} is disabled.`,
    );
  });
});

describe('deletion of multi-Region keys', () => {
  it('primary first: PendingReplicaDeletion until the last replica is gone, then its own window', async () => {
    const keyId = await createPrimary();
    await replicate(keyId, WEST);
    await replicate(keyId, ASIA);
    const blob = await encrypt(east, keyId, 'outlives the primary');

    const scheduled = await east.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    expect(scheduled).toMatchObject({ KeyId: arnIn(EAST, keyId), KeyState: 'PendingReplicaDeletion', PendingWindowInDays: 7 });
    expect(scheduled.DeletionDate).toBeUndefined();
    const pending = await describe_(east, keyId);
    expect(pending).toMatchObject({ KeyState: 'PendingReplicaDeletion', Enabled: false, PendingDeletionWindowInDays: 7 });
    expect(pending.DeletionDate).toBeUndefined();
    await expectAwsError(
      east.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })),
      'KMSInvalidStateException',
      `${arnIn(EAST, keyId)} is pending replica deletion.`,
    );
    await expectAwsError(
      east.send(new ScheduleKeyDeletionCommand({ KeyId: keyId })),
      'KMSInvalidStateException',
      `${arnIn(EAST, keyId)} is pending replica deletion.`,
    );
    // The replicas are untouched and still decrypt.
    expect(await decrypt(west, blob)).toBe('outlives the primary');

    await west.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const lastReplica = await asia.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 30 }));
    await t.advanceClock(8 * DAY);
    await expectAwsError(
      west.send(new DescribeKeyCommand({ KeyId: keyId })),
      'NotFoundException',
      `Key '${arnIn(WEST, keyId)}' does not exist`,
    );
    expect(await describe_(east, keyId)).toMatchObject({
      KeyState: 'PendingReplicaDeletion',
      MultiRegionConfiguration: { ReplicaKeys: [{ Arn: arnIn(ASIA, keyId), Region: ASIA }] },
    });

    await t.advanceClock(23 * DAY);
    await expectAwsError(
      asia.send(new DescribeKeyCommand({ KeyId: keyId })),
      'NotFoundException',
      `Key '${arnIn(ASIA, keyId)}' does not exist`,
    );
    const waiting = await describe_(east, keyId);
    expect(waiting).toMatchObject({
      KeyState: 'PendingDeletion',
      PendingDeletionWindowInDays: 7,
      MultiRegionConfiguration: { ReplicaKeys: [] },
    });
    // The primary's 7 days start when the last replica went, not when it was scheduled.
    expect(waiting.DeletionDate?.getTime()).toBe((lastReplica.DeletionDate?.getTime() ?? 0) + 7 * DAY * 1000);

    await t.advanceClock(8 * DAY);
    await expectAwsError(
      east.send(new DescribeKeyCommand({ KeyId: keyId })),
      'NotFoundException',
      `Key '${arnIn(EAST, keyId)}' does not exist`,
    );
  });

  it('replicas first: the primary is then deleted like any key', async () => {
    const keyId = await createPrimary();
    await replicate(keyId, WEST);
    await west.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    expect(await describe_(west, keyId)).toMatchObject({ KeyState: 'PendingDeletion' });
    await t.advanceClock(8 * DAY);
    expect((await describe_(east, keyId)).MultiRegionConfiguration?.ReplicaKeys).toEqual([]);
    const scheduled = await east.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    expect(scheduled.KeyState).toBe('PendingDeletion');
    expect(scheduled.DeletionDate).toBeInstanceOf(Date);
    // A primary pending deletion cannot be replicated.
    await expectAwsError(
      east.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: WEST })),
      'KMSInvalidStateException',
      `${arnIn(EAST, keyId)} is pending deletion.`,
    );
  });

  it('cancels deletion of a waiting primary and of a replica; both come back Disabled', async () => {
    const keyId = await createPrimary();
    await replicate(keyId, WEST);
    await east.send(new ScheduleKeyDeletionCommand({ KeyId: keyId }));
    await west.send(new ScheduleKeyDeletionCommand({ KeyId: keyId }));
    expect((await east.send(new CancelKeyDeletionCommand({ KeyId: keyId }))).KeyId).toBe(arnIn(EAST, keyId));
    await west.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    expect((await describe_(east, keyId)).KeyState).toBe('Disabled');
    expect((await describe_(west, keyId)).KeyState).toBe('Disabled');
    await expectAwsError(
      east.send(new CancelKeyDeletionCommand({ KeyId: keyId })),
      'KMSInvalidStateException',
      `${arnIn(EAST, keyId)} is not pending deletion.`,
    );
    await expectAwsError(
      west.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 6 })),
      'ValidationException',
      "1 validation error detected: Value '6' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7",
    );
    // Nothing was deleted meanwhile.
    await t.advanceClock(31 * DAY);
    expect((await describe_(west, keyId)).MultiRegionConfiguration?.ReplicaKeys).toEqual([{ Arn: arnIn(WEST, keyId), Region: WEST }]);
  });

  it('deletes a replica that is still Creating', async () => {
    const keyId = await createPrimary();
    await east.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: WEST }));
    await west.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    await t.advanceClock(TRANSITION_SECONDS);
    expect((await describe_(west, keyId)).KeyState).toBe('PendingDeletion');
    await t.advanceClock(8 * DAY);
    expect((await describe_(east, keyId)).MultiRegionConfiguration?.ReplicaKeys).toEqual([]);
    // The Region is free again.
    await replicate(keyId, WEST);
    expect((await describe_(west, keyId)).KeyState).toBe('Enabled');
  });
});

describe('HMAC and asymmetric multi-Region keys', () => {
  it('makes a MAC in one Region that verifies in another', async () => {
    const keyId = await createPrimary({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await replicate(keyId, WEST);
    const message = Buffer.from('authenticated across Regions');
    const { Mac } = await east.send(new GenerateMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' }));
    const verified = await west.send(new VerifyMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: 'HMAC_SHA_256', Mac }));
    expect(verified.MacValid).toBe(true);
    const again = await west.send(new GenerateMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' }));
    expect(Buffer.from(again.Mac ?? new Uint8Array()).equals(Buffer.from(Mac ?? new Uint8Array()))).toBe(true);
  });

  it('signs in one Region and verifies in another, with one public key', async () => {
    const keyId = await createPrimary({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    await replicate(keyId, WEST);
    const eastKey = await east.send(new GetPublicKeyCommand({ KeyId: keyId }));
    const westKey = await west.send(new GetPublicKeyCommand({ KeyId: keyId }));
    expect(Buffer.from(westKey.PublicKey ?? new Uint8Array()).equals(Buffer.from(eastKey.PublicKey ?? new Uint8Array()))).toBe(true);
    const message = Buffer.from('signed in eu-west-1');
    const { Signature } = await west.send(new SignCommand({ KeyId: keyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }));
    const res = await east.send(new VerifyCommand({ KeyId: keyId, Message: message, Signature, SigningAlgorithm: 'ECDSA_SHA_256' }));
    expect(res.SignatureValid).toBe(true);
  });
});

describe('persistence', () => {
  let dataDir: string | undefined;
  afterAll(() => removeDir(dataDir));

  it('keeps the family, its roles and its material across a restart', async () => {
    const first = await startKmsd({ persistent: true, multiRegionTransitionMs: 0 });
    dataDir = first.dataDir;
    const firstEast = first.kms({ region: EAST });
    const md = metadata((await firstEast.send(new CreateKeyCommand({ MultiRegion: true }))).KeyMetadata);
    const keyId = md.KeyId ?? '';
    await firstEast.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: WEST }));
    await firstEast.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
    const blob = await encrypt(firstEast, keyId, 'survives a restart');
    await first.close();

    const second = await startKmsd({ persistent: true, dataDir });
    try {
      const secondWest = second.kms({ region: WEST });
      expect(await decrypt(secondWest, blob)).toBe('survives a restart');
      expect(await describe_(secondWest, keyId)).toMatchObject({
        KeyState: 'Enabled',
        MultiRegionConfiguration: { MultiRegionKeyType: 'REPLICA', PrimaryKey: { Region: EAST } },
      });
    } finally {
      await second.close();
    }
  });
});

describe('through /usr/bin/aws', () => {
  let cli: TestKmsd;
  beforeAll(async () => {
    cli = await startKmsd({ multiRegionTransitionMs: 0 });
  });
  afterAll(async () => {
    await cli.close();
  });

  async function aws(region: string, args: string[]): Promise<Record<string, unknown>> {
    const res = await awsCli(cli.url, [...args, '--region', region]);
    expect(res.code, res.stderr).toBe(0);
    return (res.json ?? {}) as Record<string, unknown>;
  }

  it('creates, replicates, cross-decrypts and moves the primary', async () => {
    const created = await aws(EAST, ['kms', 'create-key', '--multi-region', '--description', 'cli mrk']);
    const keyId = String((created.KeyMetadata as KeyMetadata).KeyId);
    expect(keyId).toMatch(/^mrk-/);
    const replicated = await aws(EAST, ['kms', 'replicate-key', '--key-id', keyId, '--replica-region', WEST]);
    expect(replicated.ReplicaKeyMetadata).toMatchObject({ Arn: arnIn(WEST, keyId), KeyState: 'Creating' });

    const encrypted = await aws(EAST, ['kms', 'encrypt', '--key-id', keyId, '--plaintext', Buffer.from('via the cli').toString('base64')]);
    const decrypted = await aws(WEST, ['kms', 'decrypt', '--ciphertext-blob', String(encrypted.CiphertextBlob)]);
    expect(decrypted.KeyId).toBe(arnIn(WEST, keyId));
    expect(Buffer.from(String(decrypted.Plaintext), 'base64').toString()).toBe('via the cli');

    await aws(EAST, ['kms', 'update-primary-region', '--key-id', keyId, '--primary-region', WEST]);
    const described = await aws(WEST, ['kms', 'describe-key', '--key-id', keyId]);
    expect(described.KeyMetadata).toMatchObject({
      KeyState: 'Enabled',
      MultiRegionConfiguration: { MultiRegionKeyType: 'PRIMARY', ReplicaKeys: [{ Region: EAST, Arn: arnIn(EAST, keyId) }] },
    });
    const refused = await awsCli(cli.url, ['kms', 'replicate-key', '--key-id', keyId, '--replica-region', ASIA, '--region', EAST]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('(UnsupportedOperationException) when calling the ReplicateKey operation');
    expect(refused.stderr).toContain(`: ${arnIn(EAST, keyId)} is not a multi-region primary key.`);
  });
});
