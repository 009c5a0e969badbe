import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  ListAliasesCommand,
  ListKeyPoliciesCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import type { KMSClient, KeyMetadata } from '@aws-sdk/client-kms';
import { startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { expectError } from './helpers/errors.js';

const DAY = 24 * 60 * 60;
let t: TestKmsd;
let kms: KMSClient;

beforeAll(async () => {
  t = await startKmsd();
  kms = t.kms();
});
afterAll(async () => t.close());

async function newKey(): Promise<KeyMetadata & { KeyId: string; Arn: string }> {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
  if (!KeyMetadata?.KeyId || !KeyMetadata.Arn) throw new Error('CreateKey returned no key');
  return { ...KeyMetadata, KeyId: KeyMetadata.KeyId, Arn: KeyMetadata.Arn };
}

async function stateOf(keyId: string): Promise<string | undefined> {
  return (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState;
}

describe('enable, disable and describe', () => {
  it('disables a key so it refuses encryption, and enables it again', async () => {
    const key = await newKey();
    await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    const md = (await kms.send(new DescribeKeyCommand({ KeyId: key.Arn }))).KeyMetadata;
    expect(md?.KeyState).toBe('Disabled');
    expect(md?.Enabled).toBe(false);
    await expectError(
      kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') })),
      'DisabledException',
      400,
      `${key.Arn} is disabled.`,
    );
    await kms.send(new EnableKeyCommand({ KeyId: key.Arn }));
    expect(await stateOf(key.KeyId)).toBe('Enabled');
    const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') }));
    expect(enc.KeyId).toBe(key.Arn);
  });

  it('updates the description, but not through an alias', async () => {
    const key = await newKey();
    await kms.send(new UpdateKeyDescriptionCommand({ KeyId: key.KeyId, Description: 'new words' }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.Description).toBe('new words');
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/describe-me', TargetKeyId: key.KeyId }));
    await expectError(
      kms.send(new UpdateKeyDescriptionCommand({ KeyId: 'alias/describe-me', Description: 'x' })),
      'NotFoundException',
      400,
      "Invalid keyId 'alias/describe-me'",
    );
  });

  it('reports an unknown key as NotFoundException', async () => {
    const missing = '0b6a4c7e-1f0d-4a59-9c51-3d1f6f2c0a11';
    await expectError(
      kms.send(new EnableKeyCommand({ KeyId: missing })),
      'NotFoundException',
      400,
      `Key 'arn:aws:kms:us-east-1:111122223333:key/${missing}' does not exist`,
    );
  });
});

describe('key deletion', () => {
  it('rejects a waiting period outside 7–30 days in Coral form, changing nothing', async () => {
    const key = await newKey();
    await expectError(
      kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 6 })),
      'ValidationException',
      400,
      "1 validation error detected: Value '6' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7",
    );
    await expectError(
      kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 31 })),
      'ValidationException',
      400,
      "1 validation error detected: Value '31' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 30",
    );
    expect(await stateOf(key.KeyId)).toBe('Enabled');
  });

  it('schedules with the default 30 days, refuses crypto, and cancels back to Disabled', async () => {
    const key = await newKey();
    const before = Date.now();
    const res = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.Arn }));
    expect(res.KeyId).toBe(key.Arn);
    expect(res.KeyState).toBe('PendingDeletion');
    expect(res.PendingWindowInDays).toBe(30);
    expect(res.DeletionDate?.getTime()).toBeGreaterThanOrEqual(before + 30 * DAY * 1000 - 1000);
    const md = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata;
    expect(md?.DeletionDate?.getTime()).toBe(res.DeletionDate?.getTime());
    expect(md?.PendingDeletionWindowInDays).toBe(30);
    await expectError(
      kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') })),
      'KMSInvalidStateException',
      400,
      `${key.Arn} is pending deletion.`,
    );
    await expectError(
      kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId })),
      'KMSInvalidStateException',
      400,
      `${key.Arn} is pending deletion.`,
    );
    await expectError(
      kms.send(new EnableKeyCommand({ KeyId: key.KeyId })),
      'KMSInvalidStateException',
      400,
      `${key.Arn} is pending deletion.`,
    );

    const cancelled = await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
    expect(cancelled.KeyId).toBe(key.Arn);
    const after = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata;
    expect(after?.KeyState).toBe('Disabled');
    expect(after?.DeletionDate).toBeUndefined();
    await expectError(
      kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId })),
      'KMSInvalidStateException',
      400,
      `${key.Arn} is not pending deletion.`,
    );
  });
});

describe('aliases', () => {
  it('creates, lists, repoints and deletes an alias, and crypto works through it', async () => {
    const a = await newKey();
    const b = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: a.Arn }));
    const enc = await kms.send(new EncryptCommand({ KeyId: 'alias/app', Plaintext: Buffer.from('hi') }));
    expect(enc.KeyId).toBe(a.Arn);
    const viaArn = await kms.send(
      new EncryptCommand({ KeyId: 'arn:aws:kms:us-east-1:111122223333:alias/app', Plaintext: Buffer.from('hi') }),
    );
    expect(viaArn.KeyId).toBe(a.Arn);

    const listed = (await kms.send(new ListAliasesCommand({ KeyId: a.KeyId }))).Aliases ?? [];
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      AliasName: 'alias/app',
      AliasArn: 'arn:aws:kms:us-east-1:111122223333:alias/app',
      TargetKeyId: a.KeyId,
    });
    expect(listed[0].CreationDate).toBeInstanceOf(Date);
    expect(listed[0].LastUpdatedDate).toBeInstanceOf(Date);

    await kms.send(new UpdateAliasCommand({ AliasName: 'alias/app', TargetKeyId: b.KeyId }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/app' }))).KeyMetadata?.KeyId).toBe(b.KeyId);
    expect((await kms.send(new ListAliasesCommand({ KeyId: a.Arn }))).Aliases).toEqual([]);

    await kms.send(new DeleteAliasCommand({ AliasName: 'alias/app' }));
    const gone = 'Alias arn:aws:kms:us-east-1:111122223333:alias/app is not found.';
    await expectError(kms.send(new DescribeKeyCommand({ KeyId: 'alias/app' })), 'NotFoundException', 400, gone);
    await expectError(kms.send(new DeleteAliasCommand({ AliasName: 'alias/app' })), 'NotFoundException', 400, gone);
    await expectError(kms.send(new UpdateAliasCommand({ AliasName: 'alias/app', TargetKeyId: a.KeyId })), 'NotFoundException', 400, gone);
  });

  it('enforces the naming and target rules', async () => {
    const key = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/taken', TargetKeyId: key.KeyId }));
    await expectError(
      kms.send(new CreateAliasCommand({ AliasName: 'alias/taken', TargetKeyId: key.KeyId })),
      'AlreadyExistsException',
      400,
      'An alias with the name arn:aws:kms:us-east-1:111122223333:alias/taken already exists',
    );
    await expectError(
      kms.send(new CreateAliasCommand({ AliasName: 'my-alias', TargetKeyId: key.KeyId })),
      'ValidationException',
      400,
      'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
    );
    await expectError(
      kms.send(new CreateAliasCommand({ AliasName: 'alias/aws/s3', TargetKeyId: key.KeyId })),
      'NotAuthorizedException',
      400,
      'UnknownError', // AWS sends no message; the SDK shows this
    );
    await expectError(
      kms.send(new CreateAliasCommand({ AliasName: 'alias/my:alias', TargetKeyId: key.KeyId })),
      'ValidationException',
      400,
      'alias/my:alias contains invalid characters for an alias',
    );
    await expectError(
      kms.send(new CreateAliasCommand({ AliasName: 'alias/second', TargetKeyId: 'alias/taken' })),
      'ValidationException',
      400,
      'Aliases must refer to keys. Not aliases',
    );
    await expectError(
      kms.send(new CreateAliasCommand({ AliasName: 'alias/bad name', TargetKeyId: key.KeyId })),
      'ValidationException',
      400,
      "1 validation error detected: Value 'alias/bad name' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    );
    const doomed = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed.KeyId, PendingWindowInDays: 7 }));
    await expectError(
      kms.send(new CreateAliasCommand({ AliasName: 'alias/late', TargetKeyId: doomed.KeyId })),
      'KMSInvalidStateException',
      400,
      `${doomed.Arn} is pending deletion.`,
    );
    await expectError(
      kms.send(new UpdateAliasCommand({ AliasName: 'alias/taken', TargetKeyId: doomed.KeyId })),
      'KMSInvalidStateException',
      400,
      `${doomed.Arn} is pending deletion.`,
    );
    // None of the rejected requests left anything behind.
    const aliases = (await kms.send(new ListAliasesCommand({}))).Aliases ?? [];
    const names = aliases.map((a) => a.AliasName ?? '');
    expect(names.filter((n) => ['alias/second', 'alias/late'].includes(n))).toEqual([]);
    // alias/aws/s3 is listed as AWS's predefined alias, still without a key behind it.
    expect(aliases.find((a) => a.AliasName === 'alias/aws/s3')?.TargetKeyId).toBeUndefined();
    expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/taken' }))).KeyMetadata?.KeyId).toBe(key.KeyId);
  });

  it('pages ListAliases with Limit and Marker', async () => {
    const key = await newKey();
    for (const n of ['p1', 'p2', 'p3']) await kms.send(new CreateAliasCommand({ AliasName: `alias/${n}`, TargetKeyId: key.KeyId }));
    const first = await kms.send(new ListAliasesCommand({ KeyId: key.KeyId, Limit: 2 }));
    expect(first.Aliases?.map((a) => a.AliasName)).toEqual(['alias/p1', 'alias/p2']);
    expect(first.Truncated).toBe(true);
    const second = await kms.send(new ListAliasesCommand({ KeyId: key.KeyId, Limit: 2, Marker: first.NextMarker }));
    expect(second.Aliases?.map((a) => a.AliasName)).toEqual(['alias/p3']);
    expect(second.Truncated).toBe(false);
    await expectError(kms.send(new ListAliasesCommand({ Marker: 'bogus' })), 'InvalidMarkerException', 400, 'Invalid marker');
  });
});

describe('tags', () => {
  it('tags, overwrites, lists and untags', async () => {
    const key = await newKey();
    await kms.send(
      new TagResourceCommand({
        KeyId: key.KeyId,
        Tags: [
          { TagKey: 'team', TagValue: 'a' },
          { TagKey: 'env', TagValue: 'dev' },
        ],
      }),
    );
    await kms.send(new TagResourceCommand({ KeyId: key.Arn, Tags: [{ TagKey: 'team', TagValue: 'b' }] }));
    const tags = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }));
    expect(tags.Tags).toEqual([
      { TagKey: 'team', TagValue: 'b' },
      { TagKey: 'env', TagValue: 'dev' },
    ]);
    expect(tags.Truncated).toBe(false);
    await kms.send(new UntagResourceCommand({ KeyId: key.KeyId, TagKeys: ['team', 'absent'] }));
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }))).Tags).toEqual([{ TagKey: 'env', TagValue: 'dev' }]);
  });

  it('rejects aws: keys, more than 50 tags and duplicate keys, keeping the old tags', async () => {
    const key = await newKey();
    await kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'keep', TagValue: '1' }] }));
    await expectError(
      kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'aws:owner', TagValue: 'x' }] })),
      'TagException',
      400,
      'Tags beginning with aws: are reserved',
    );
    const fifty = Array.from({ length: 50 }, (_, i) => ({ TagKey: `k${i}`, TagValue: 'v' }));
    await expectError(kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: fifty })), 'TagException', 400, 'Too many tags');
    await expectError(
      kms.send(
        new TagResourceCommand({
          KeyId: key.KeyId,
          Tags: [
            { TagKey: 'dup', TagValue: '1' },
            { TagKey: 'dup', TagValue: '2' },
          ],
        }),
      ),
      'TagException',
      400,
      'Duplicate tag keys',
    );
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }))).Tags).toEqual([{ TagKey: 'keep', TagValue: '1' }]);
  });

  it('pages tags and refuses tagging a key pending deletion', async () => {
    const key = await newKey();
    await kms.send(
      new TagResourceCommand({ KeyId: key.KeyId, Tags: Array.from({ length: 3 }, (_, i) => ({ TagKey: `t${i}`, TagValue: 'v' })) }),
    );
    const first = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId, Limit: 2 }));
    expect(first.Tags?.map((x) => x.TagKey)).toEqual(['t0', 't1']);
    expect(first.Truncated).toBe(true);
    const second = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId, Marker: first.NextMarker }));
    expect(second.Tags?.map((x) => x.TagKey)).toEqual(['t2']);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    await expectError(
      kms.send(new UntagResourceCommand({ KeyId: key.KeyId, TagKeys: ['t0'] })),
      'KMSInvalidStateException',
      400,
      `${key.Arn} is pending deletion.`,
    );
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }))).Tags).toHaveLength(3);
  });
});

describe('key policies', () => {
  it('returns the default policy, stores a new one, and lists the one name', async () => {
    const key = await newKey();
    const got = await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }));
    expect(got.PolicyName).toBe('default');
    expect(JSON.parse(got.Policy ?? '{}')).toMatchObject({ Id: 'key-default-1', Statement: [{ Action: 'kms:*' }] });
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }],
    });
    await kms.send(new PutKeyPolicyCommand({ KeyId: key.Arn, PolicyName: 'default', Policy: policy }));
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: 'default' }))).Policy).toBe(policy);
    const names = await kms.send(new ListKeyPoliciesCommand({ KeyId: key.KeyId }));
    expect(names.PolicyNames).toEqual(['default']);
    expect(names.Truncated).toBe(false);
  });

  // Found by the fuzz (test/fuzz): the model lists no InvalidMarkerException for ListKeyPolicies.
  it('ListKeyPolicies answers its one page whatever Marker says', async () => {
    const key = await newKey();
    const names = await kms.send(new ListKeyPoliciesCommand({ KeyId: key.KeyId, Marker: '?', Limit: 1 }));
    expect(names.PolicyNames).toEqual(['default']);
    expect(names.Truncated).toBe(false);
  });

  it('rejects another policy name and a malformed document, keeping the old policy', async () => {
    const key = await newKey();
    const before = (await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy;
    await expectError(
      kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: 'other' })),
      'NotFoundException',
      400,
      'No such policy exists: other. The only valid policy name is "default".',
    );
    // AWS answered a document that is not JSON with an empty message (aws/aws-sdk-ruby#1784).
    await expect(kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: 'not json' }))).rejects.toMatchObject({
      name: 'MalformedPolicyDocumentException',
      $metadata: { httpStatusCode: 400 },
    });
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy).toBe(before);
  });
});
