/**
 * AWS managed keys and the predefined `alias/aws/...` aliases, through the JS SDK, raw
 * signed requests (to see the bodies) and /usr/bin/aws: listed before first use, created by
 * DescribeKey (or any use) of the alias, usable for cryptography, refused for management.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
  PutKeyPolicyCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { awsCli, DEV, rawRequest, REGION, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { expectAwsError } from './helpers/errors.js';

const ACCOUNT = DEV.accountId;
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
/** The fourteen predefined aliases a new account lists (moto's list; see src/kms/managed-keys.ts). */
const PREDEFINED = [
  'acm',
  'dynamodb',
  'ebs',
  'elasticfilesystem',
  'es',
  'glue',
  'kinesisvideo',
  'lambda',
  'rds',
  'redshift',
  's3',
  'secretsmanager',
  'ssm',
  'xray',
].map((service) => `alias/aws/${service}`);

let t: TestKmsd;
let kms: KMSClient;

beforeAll(async () => {
  t = await startKmsd();
  kms = t.kms();
});
afterAll(async () => {
  await t.close();
});

function aliasArn(name: string, region = REGION): string {
  return `arn:aws:kms:${region}:${ACCOUNT}:${name}`;
}

async function managedKey(alias: string): Promise<{ KeyId: string; Arn: string }> {
  const md = (await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata;
  if (!md?.KeyId || !md.Arn) throw new Error('no key');
  return { KeyId: md.KeyId, Arn: md.Arn };
}

describe('predefined aliases', () => {
  it('lists every alias/aws/ alias without a key until first use', async () => {
    const listed = (await kms.send(new ListAliasesCommand({}))).Aliases ?? [];
    expect(listed).toEqual(PREDEFINED.map((name) => ({ AliasName: name, AliasArn: aliasArn(name) })));
    // Pages like any listing.
    const first = await kms.send(new ListAliasesCommand({ Limit: 10 }));
    const rest = await kms.send(new ListAliasesCommand({ Limit: 10, Marker: first.NextMarker }));
    expect([...(first.Aliases ?? []), ...(rest.Aliases ?? [])].map((a) => a.AliasName)).toEqual(PREDEFINED);
    expect(rest.Truncated).toBe(false);
  });

  it('refuses reserved names on CreateAlias, UpdateAlias and DeleteAlias with a bare NotAuthorizedException', async () => {
    const mine = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? '';
    for (const [target, body] of [
      ['TrentService.CreateAlias', { AliasName: 'alias/aws/mine', TargetKeyId: mine }],
      ['TrentService.CreateAlias', { AliasName: 'alias/aws/s3', TargetKeyId: mine }],
      ['TrentService.UpdateAlias', { AliasName: 'alias/aws/ebs', TargetKeyId: mine }],
      ['TrentService.DeleteAlias', { AliasName: 'alias/aws/rds' }],
    ] as const) {
      const res = await rawRequest(t.url, { target, body: JSON.stringify(body) });
      expect(res.status, target).toBe(400);
      expect(res.body.__type).toBe('NotAuthorizedException');
      // AWS sends no message with it (moto reproduces the body as {"__type": ...} only).
      expect(res.body.message ?? '').toBe('');
    }
    await expect(kms.send(new DeleteAliasCommand({ AliasName: 'alias/aws/s3' }))).rejects.toMatchObject({
      name: 'NotAuthorizedException',
    });
    const listed = (await kms.send(new ListAliasesCommand({}))).Aliases ?? [];
    expect(listed.find((a) => a.AliasName === 'alias/aws/mine')).toBeUndefined();
    expect(listed.find((a) => a.AliasName === 'alias/aws/s3')?.TargetKeyId).toBeUndefined();
  });

  it('answers NotFoundException for an alias/aws/ name AWS does not predefine', async () => {
    await expectAwsError(
      kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/notaservice' })),
      'NotFoundException',
      `Alias ${aliasArn('alias/aws/notaservice')} is not found.`,
    );
  });
});

describe('AWS managed keys', () => {
  it('creates the key on first DescribeKey, once, with KeyManager AWS and yearly rotation', async () => {
    const md = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/s3' }))).KeyMetadata;
    expect(md).toMatchObject({
      AWSAccountId: ACCOUNT,
      KeyManager: 'AWS',
      KeyState: 'Enabled',
      Enabled: true,
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      Origin: 'AWS_KMS',
      MultiRegion: false,
      Description: 'Default key that protects my S3 objects when no other key is defined',
    });
    const again = await kms.send(new DescribeKeyCommand({ KeyId: aliasArn('alias/aws/s3') }));
    expect(again.KeyMetadata?.KeyId).toBe(md?.KeyId);

    const alias = ((await kms.send(new ListAliasesCommand({}))).Aliases ?? []).find((a) => a.AliasName === 'alias/aws/s3');
    expect(alias).toMatchObject({ AliasArn: aliasArn('alias/aws/s3'), TargetKeyId: md?.KeyId });
    expect(alias?.CreationDate).toBeInstanceOf(Date);
    expect((await kms.send(new ListAliasesCommand({ KeyId: md?.KeyId }))).Aliases?.map((a) => a.AliasName)).toEqual(['alias/aws/s3']);
    expect((await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys?.map((k) => k.KeyId)).toContain(md?.KeyId);

    expect(await kms.send(new GetKeyRotationStatusCommand({ KeyId: md?.KeyId }))).toMatchObject({
      KeyRotationEnabled: true,
      RotationPeriodInDays: 365,
    });
    const policy = JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: md?.KeyId }))).Policy ?? '{}') as {
      Statement: { Principal: { AWS: string }; Action: string[]; Condition?: unknown }[];
    };
    expect(policy.Statement[0]).toMatchObject({
      Principal: { AWS: '*' },
      Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT, 'kms:ViaService': `s3.${REGION}.amazonaws.com` } },
    });
    expect(policy.Statement[1]).toMatchObject({
      Principal: { AWS: ROOT },
      Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:RevokeGrant'],
    });
  });

  it('serves cryptography, creating the key on first use of its alias', async () => {
    const enc = await kms.send(new EncryptCommand({ KeyId: 'alias/aws/ebs', Plaintext: Buffer.from('volume key') }));
    const key = await managedKey('alias/aws/ebs');
    expect(enc.KeyId).toBe(key.Arn);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe('volume key');
  });

  it('is per Region', async () => {
    const east = await managedKey('alias/aws/lambda');
    const west = (await t.kms({ region: 'eu-west-1' }).send(new DescribeKeyCommand({ KeyId: 'alias/aws/lambda' }))).KeyMetadata;
    expect(west?.KeyId).not.toBe(east.KeyId);
    expect(west?.Arn).toBe(`arn:aws:kms:eu-west-1:${ACCOUNT}:key/${west?.KeyId}`);
  });

  it('refuses every management operation AWS refuses, changing nothing', async () => {
    const key = await managedKey('alias/aws/ssm');
    const policy = (await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy;
    const denied = (action: string) =>
      `User: ${ROOT} is not authorized to perform: kms:${action} on resource: ${key.Arn} because no resource-based policy allows the kms:${action} action`;
    const refused: [string, () => Promise<unknown>][] = [
      ['ScheduleKeyDeletion', () => kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId }))],
      ['CancelKeyDeletion', () => kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }))],
      ['DisableKey', () => kms.send(new DisableKeyCommand({ KeyId: key.KeyId }))],
      ['EnableKey', () => kms.send(new EnableKeyCommand({ KeyId: key.KeyId }))],
      ['PutKeyPolicy', () => kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: policy }))],
      ['TagResource', () => kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'a', TagValue: 'b' }] }))],
      ['UntagResource', () => kms.send(new UntagResourceCommand({ KeyId: key.KeyId, TagKeys: ['a'] }))],
      ['UpdateKeyDescription', () => kms.send(new UpdateKeyDescriptionCommand({ KeyId: key.KeyId, Description: 'mine now' }))],
      ['EnableKeyRotation', () => kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 90 }))],
      ['DisableKeyRotation', () => kms.send(new DisableKeyRotationCommand({ KeyId: key.KeyId }))],
      ['RotateKeyOnDemand', () => kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }))],
      ['CreateAlias', () => kms.send(new CreateAliasCommand({ AliasName: 'alias/my-ssm', TargetKeyId: key.KeyId }))],
    ];
    for (const [action, call] of refused) await expectAwsError(call(), 'AccessDeniedException', denied(action));

    const mine = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? '';
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/movable', TargetKeyId: mine }));
    await expectAwsError(
      kms.send(new UpdateAliasCommand({ AliasName: 'alias/movable', TargetKeyId: key.KeyId })),
      'AccessDeniedException',
      denied('UpdateAlias'),
    );

    const md = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata;
    expect(md).toMatchObject({
      KeyState: 'Enabled',
      Description: 'Default key that protects my SSM parameters when no other key is defined',
    });
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy).toBe(policy);
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }))).RotationPeriodInDays).toBe(365);
    expect((await kms.send(new ListAliasesCommand({ KeyId: key.KeyId }))).Aliases?.map((a) => a.AliasName)).toEqual(['alias/aws/ssm']);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/movable' }))).KeyMetadata?.KeyId).toBe(mine);
  });
});

describe('through /usr/bin/aws', () => {
  it('lists the predefined aliases and describes a managed key', async () => {
    const listed = await awsCli(t.url, ['kms', 'list-aliases']);
    expect(listed.code, listed.stderr).toBe(0);
    const names = ((listed.json as { Aliases: { AliasName: string }[] }).Aliases ?? []).map((a) => a.AliasName);
    expect(names).toEqual(expect.arrayContaining(PREDEFINED));
    const described = await awsCli(t.url, ['kms', 'describe-key', '--key-id', 'alias/aws/secretsmanager']);
    expect(described.code, described.stderr).toBe(0);
    expect((described.json as { KeyMetadata: unknown }).KeyMetadata).toMatchObject({ KeyManager: 'AWS', KeyState: 'Enabled' });
    const refused = await awsCli(t.url, ['kms', 'create-alias', '--alias-name', 'alias/aws/secretsmanager', '--target-key-id', 'x']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('(NotAuthorizedException) when calling the CreateAlias operation');
  });
});
