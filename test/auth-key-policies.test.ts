/**
 * Key policies as the AWS KMS developer guide shows them (key users, key administrators,
 * delegation to IAM, kms:ViaService, encryption-context conditions, deny by aws:SourceIp),
 * each with an allowed and a refused principal and AWS's exact AccessDenied text; the default
 * policy, validation, and the lockout safety check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  ListKeysCommand,
  PutKeyPolicyCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { awsCli, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { ACCOUNT_A, APP_ROLE, as, authConfig, cliAs, keyPolicy, rootArn, userArn } from './helpers/auth-config.js';

let t: TestKmsd;
let root: KMSClient;
const client = (name: string) => t.kms(as(name));

beforeAll(async () => {
  t = await startKmsd({ config: authConfig() });
  root = t.kms();
});
afterAll(async () => t.close());

async function newKey(policy?: string, bypass = false): Promise<string> {
  const { KeyMetadata } = await root.send(new CreateKeyCommand({ Policy: policy, BypassPolicyLockoutSafetyCheck: bypass || undefined }));
  if (!KeyMetadata?.Arn) throw new Error('CreateKey returned no key');
  return KeyMetadata.Arn;
}

const encrypt = (kms: KMSClient, keyId: string, context?: Record<string, string>) =>
  kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('secret'), EncryptionContext: context }));

function denied(user: string, action: string, key: string, tail: 'resource' | 'identity' | 'deny-resource' | 'deny-identity') {
  const reason = {
    resource: `because no resource-based policy allows the ${action} action`,
    identity: `because no identity-based policy allows the ${action} action`,
    'deny-resource': 'with an explicit deny in a resource-based policy',
    'deny-identity': 'with an explicit deny in an identity-based policy',
  }[tail];
  return {
    name: 'AccessDeniedException',
    message: `User: ${user} is not authorized to perform: ${action} on resource: ${key} ${reason}`,
    $metadata: { httpStatusCode: 400 },
  };
}

/** A policy that lets the account root manage the key but delegates no use to IAM. */
const ADMIN_ONLY = {
  Sid: 'Root may administer',
  Effect: 'Allow',
  Principal: { AWS: rootArn(ACCOUNT_A) },
  Action: ['kms:PutKeyPolicy', 'kms:GetKeyPolicy', 'kms:DescribeKey', 'kms:CreateGrant'],
  Resource: '*',
};
const withoutDelegation = (statements: Record<string, unknown>[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [ADMIN_ONLY, ...statements] });

describe('default key policy', () => {
  it('CreateKey without Policy stores AWS default policy text, returned byte for byte', async () => {
    const key = await newKey();
    const { Policy } = await root.send(new GetKeyPolicyCommand({ KeyId: key, PolicyName: 'default' }));
    expect(Policy).toBe(
      `{\n  "Version" : "2012-10-17",\n  "Id" : "key-default-1",\n  "Statement" : [ {\n    "Sid" : "Enable IAM User Permissions",\n    "Effect" : "Allow",\n    "Principal" : {\n      "AWS" : "arn:aws:iam::${ACCOUNT_A}:root"\n    },\n    "Action" : "kms:*",\n    "Resource" : "*"\n  } ]\n}`,
    );
  });

  it('delegates to IAM: a user whose IAM allows may use the key, one without IAM policies may not', async () => {
    const key = await newKey();
    await expect(encrypt(client('admin'), key)).resolves.toMatchObject({ KeyId: key });
    await expect(encrypt(client('bob'), key)).rejects.toMatchObject(denied(userArn('bob'), 'kms:Encrypt', key, 'identity'));
  });

  it('keyless actions are IAM-only: the root is always allowed, a user needs an identity policy', async () => {
    await expect(root.send(new ListKeysCommand({}))).resolves.toBeDefined();
    await expect(client('admin').send(new CreateKeyCommand({}))).resolves.toBeDefined();
    await expect(client('bob').send(new CreateKeyCommand({}))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: `User: ${userArn('bob')} is not authorized to perform: kms:CreateKey on resource: * because no identity-based policy allows the kms:CreateKey action`,
    });
  });
});

describe('developer-guide policy examples', () => {
  it('key users: the named user may use the key, another may not, and the key user may not administer it', async () => {
    const key = await newKey(
      withoutDelegation([
        {
          Sid: 'Allow use of the key',
          Effect: 'Allow',
          Principal: { AWS: userArn('alice') },
          Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
          Resource: '*',
        },
      ]),
    );
    const { CiphertextBlob } = await encrypt(client('alice'), key);
    const { Plaintext } = await client('alice').send(new DecryptCommand({ CiphertextBlob }));
    expect(Buffer.from(Plaintext ?? []).toString()).toBe('secret');
    await expect(encrypt(client('bob'), key)).rejects.toMatchObject(denied(userArn('bob'), 'kms:Encrypt', key, 'resource'));
    // Even IAM's kms:* does not help without the key policy delegating to the account.
    await expect(encrypt(client('admin'), key)).rejects.toMatchObject(denied(userArn('admin'), 'kms:Encrypt', key, 'resource'));
    await expect(client('alice').send(new DisableKeyCommand({ KeyId: key }))).rejects.toMatchObject(
      denied(userArn('alice'), 'kms:DisableKey', key, 'resource'),
    );
  });

  it('key users through the AWS CLI', async () => {
    const key = await newKey(
      withoutDelegation([{ Effect: 'Allow', Principal: { AWS: userArn('alice') }, Action: 'kms:Encrypt', Resource: '*' }]),
    );
    const args = ['kms', 'encrypt', '--key-id', key, '--plaintext', 'aGVsbG8='];
    const ok = await awsCli(t.url, args, cliAs('alice'));
    expect(ok.code).toBe(0);
    expect((ok.json as { KeyId: string }).KeyId).toBe(key);
    const refused = await awsCli(t.url, args, cliAs('bob'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('An error occurred (AccessDeniedException) when calling the Encrypt operation');
    expect(refused.stderr.trim()).toMatch(
      new RegExp(
        `: User: ${userArn('bob')} is not authorized to perform: kms:Encrypt on resource: ${key} because no resource-based policy allows the kms:Encrypt action$`,
      ),
    );
  });

  it('key administrators: may manage the key but not use it', async () => {
    const key = await newKey(
      withoutDelegation([
        {
          Sid: 'Allow access for Key Administrators',
          Effect: 'Allow',
          Principal: { AWS: userArn('bob') },
          Action: [
            'kms:Create*',
            'kms:Describe*',
            'kms:Enable*',
            'kms:List*',
            'kms:Put*',
            'kms:Update*',
            'kms:Revoke*',
            'kms:Disable*',
            'kms:Get*',
            'kms:Delete*',
            'kms:TagResource',
            'kms:UntagResource',
            'kms:ScheduleKeyDeletion',
            'kms:CancelKeyDeletion',
          ],
          Resource: '*',
        },
      ]),
    );
    await client('bob').send(new DisableKeyCommand({ KeyId: key }));
    await client('bob').send(new EnableKeyCommand({ KeyId: key }));
    await expect(encrypt(client('bob'), key)).rejects.toMatchObject(denied(userArn('bob'), 'kms:Encrypt', key, 'resource'));
    await expect(client('alice').send(new DisableKeyCommand({ KeyId: key }))).rejects.toMatchObject(
      denied(userArn('alice'), 'kms:DisableKey', key, 'resource'),
    );
  });

  it('kms:ViaService: a statement for calls through an AWS service does not allow direct calls', async () => {
    const key = await newKey(
      withoutDelegation([
        {
          Effect: 'Allow',
          Principal: { AWS: userArn('alice') },
          Action: 'kms:Encrypt',
          Resource: '*',
          Condition: { StringEquals: { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' } },
        },
        {
          Effect: 'Allow',
          Principal: { AWS: userArn('bob') },
          Action: 'kms:Encrypt',
          Resource: '*',
          Condition: { Null: { 'kms:ViaService': 'true' } },
        },
      ]),
    );
    await expect(encrypt(client('alice'), key)).rejects.toMatchObject(denied(userArn('alice'), 'kms:Encrypt', key, 'resource'));
    await expect(encrypt(client('bob'), key)).resolves.toMatchObject({ KeyId: key });
  });

  it('encryption-context conditions: only the allowed context, for Encrypt and Decrypt', async () => {
    const key = await newKey(
      withoutDelegation([
        {
          Effect: 'Allow',
          Principal: { AWS: userArn('alice') },
          Action: ['kms:Encrypt', 'kms:Decrypt'],
          Resource: '*',
          Condition: { StringEquals: { 'kms:EncryptionContext:Department': 'IT' } },
        },
        {
          Effect: 'Allow',
          Principal: { AWS: userArn('bob') },
          Action: 'kms:Encrypt',
          Resource: '*',
          Condition: { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['Project'] } },
        },
      ]),
    );
    const { CiphertextBlob } = await encrypt(client('alice'), key, { Department: 'IT' });
    await client('alice').send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { Department: 'IT' } }));
    await expect(encrypt(client('alice'), key, { Department: 'HR' })).rejects.toMatchObject(
      denied(userArn('alice'), 'kms:Encrypt', key, 'resource'),
    );
    await expect(encrypt(client('bob'), key, { Project: 'x' })).resolves.toMatchObject({ KeyId: key });
    await expect(encrypt(client('bob'), key, { Project: 'x', Department: 'IT' })).rejects.toMatchObject(
      denied(userArn('bob'), 'kms:Encrypt', key, 'resource'),
    );
  });

  it('deny with aws:SourceIp in an identity policy: refused from elsewhere, allowed from the allowed network', async () => {
    const key = await newKey();
    await expect(encrypt(client('remote'), key)).rejects.toMatchObject(denied(userArn('remote'), 'kms:Encrypt', key, 'deny-identity'));
    await expect(encrypt(client('local'), key)).resolves.toMatchObject({ KeyId: key });
  });

  it('deny with aws:SourceIp in the key policy wins over every allow, also for the root', async () => {
    const deny = (cidr: string) => ({
      Effect: 'Deny',
      Principal: '*',
      Action: 'kms:Encrypt',
      Resource: '*',
      Condition: { NotIpAddress: { 'aws:SourceIp': [cidr] } },
    });
    const elsewhere = await newKey(keyPolicy([deny('192.0.2.0/24')]));
    const here = await newKey(keyPolicy([deny('127.0.0.0/8')]));
    await expect(encrypt(root, elsewhere)).rejects.toMatchObject(denied(rootArn(ACCOUNT_A), 'kms:Encrypt', elsewhere, 'deny-resource'));
    await expect(encrypt(client('admin'), elsewhere)).rejects.toMatchObject(
      denied(userArn('admin'), 'kms:Encrypt', elsewhere, 'deny-resource'),
    );
    await expect(encrypt(root, here)).resolves.toMatchObject({ KeyId: here });
  });

  it('aws:CurrentTime in the key policy is the time of the request', async () => {
    const denyAfter = (date: string) =>
      keyPolicy([
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 'kms:Encrypt',
          Resource: '*',
          Condition: { DateGreaterThan: { 'aws:CurrentTime': date } },
        },
      ]);
    const past = await newKey(denyAfter('2000-01-01T00:00:00Z'));
    const future = await newKey(denyAfter('2999-01-01T00:00:00Z'));
    await expect(encrypt(client('admin'), past)).rejects.toMatchObject(denied(userArn('admin'), 'kms:Encrypt', past, 'deny-resource'));
    await expect(encrypt(client('admin'), future)).resolves.toMatchObject({ KeyId: future });
  });

  it('an explicit deny in the key policy beats an allow naming the same user', async () => {
    const key = await newKey(
      keyPolicy([
        { Effect: 'Allow', Principal: { AWS: userArn('alice') }, Action: 'kms:*', Resource: '*' },
        { Effect: 'Deny', Principal: { AWS: userArn('alice') }, Action: 'kms:ScheduleKeyDeletion', Resource: '*' },
      ]),
    );
    await expect(client('alice').send(new DescribeKeyCommand({ KeyId: key }))).resolves.toBeDefined();
    await expect(client('alice').send(new ScheduleKeyDeletionCommand({ KeyId: key }))).rejects.toMatchObject(
      denied(userArn('alice'), 'kms:ScheduleKeyDeletion', key, 'deny-resource'),
    );
  });
});

describe('alias-based authorization (kms:ResourceAliases, kms:RequestAlias)', () => {
  it('an IAM policy can allow by the aliases a key has and by the alias a request names', async () => {
    const key = await newKey();
    const finance = client('finance');
    await expect(encrypt(finance, key)).rejects.toMatchObject(denied(userArn('finance'), 'kms:Encrypt', key, 'identity'));
    await root.send(new CreateAliasCommand({ AliasName: 'alias/finance', TargetKeyId: key }));
    await expect(encrypt(finance, key)).resolves.toMatchObject({ KeyId: key });
    await expect(finance.send(new DescribeKeyCommand({ KeyId: 'alias/finance' }))).resolves.toMatchObject({ KeyMetadata: { Arn: key } });
    await expect(finance.send(new DescribeKeyCommand({ KeyId: key }))).rejects.toMatchObject(
      denied(userArn('finance'), 'kms:DescribeKey', key, 'identity'),
    );
  });
});

describe('PutKeyPolicy and CreateKey validation, lockout safety check', () => {
  const LOCKOUT = 'The new key policy will not allow you to update the key policy in the future.';
  const onlyAlice = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: userArn('alice') }, Action: 'kms:*', Resource: '*' }],
  });

  it('refuses a policy that would lock the caller out, unless the check is bypassed', async () => {
    await expect(root.send(new CreateKeyCommand({ Policy: onlyAlice }))).rejects.toMatchObject({
      name: 'MalformedPolicyDocumentException',
      message: LOCKOUT,
    });
    const key = await newKey();
    await expect(root.send(new PutKeyPolicyCommand({ KeyId: key, PolicyName: 'default', Policy: onlyAlice }))).rejects.toMatchObject({
      name: 'MalformedPolicyDocumentException',
      message: LOCKOUT,
    });
    // Nothing changed: the root still manages the key.
    await root.send(new DisableKeyCommand({ KeyId: key }));
    await root.send(
      new PutKeyPolicyCommand({ KeyId: key, PolicyName: 'default', Policy: onlyAlice, BypassPolicyLockoutSafetyCheck: true }),
    );
    const { Policy } = await client('alice').send(new GetKeyPolicyCommand({ KeyId: key, PolicyName: 'default' }));
    expect(Policy).toBe(onlyAlice);
    await expect(root.send(new PutKeyPolicyCommand({ KeyId: key, PolicyName: 'default', Policy: onlyAlice }))).rejects.toMatchObject(
      denied(rootArn(ACCOUNT_A), 'kms:PutKeyPolicy', key, 'resource'),
    );
  });

  it('counts the caller IAM policies: a delegating policy passes for a user whose IAM allows PutKeyPolicy', async () => {
    const policy = keyPolicy([]);
    await expect(client('admin').send(new CreateKeyCommand({ Policy: policy }))).resolves.toBeDefined();
  });

  it('a missing key is NotFoundException before the new policy is even parsed', async () => {
    const missing = `arn:aws:kms:us-east-1:${ACCOUNT_A}:key/00000000-0000-0000-0000-000000000000`;
    await expect(root.send(new PutKeyPolicyCommand({ KeyId: missing, PolicyName: 'default', Policy: 'not json' }))).rejects.toMatchObject({
      name: 'NotFoundException',
      message: `Key '${missing}' does not exist`,
    });
  });

  it('refuses a document that is not a policy with MalformedPolicyDocumentException, and one over 32 KB', async () => {
    const key = await newKey();
    await expect(root.send(new PutKeyPolicyCommand({ KeyId: key, PolicyName: 'default', Policy: 'not json' }))).rejects.toMatchObject({
      name: 'MalformedPolicyDocumentException',
    });
    const big = keyPolicy([{ Sid: 'x'.repeat(33_000), Effect: 'Allow', Principal: '*', Action: 'kms:DescribeKey', Resource: '*' }]);
    await expect(root.send(new PutKeyPolicyCommand({ KeyId: key, PolicyName: 'default', Policy: big }))).rejects.toMatchObject({
      name: 'LimitExceededException',
    });
    const { Policy } = await root.send(new GetKeyPolicyCommand({ KeyId: key, PolicyName: 'default' }));
    expect(Policy).toContain('"Id" : "key-default-1"');
  });
});

describe('role sessions', () => {
  /** alice assumes the app role through /usr/bin/aws, optionally with a session policy. */
  async function session(name: string, policy?: Record<string, unknown>): Promise<KMSClient> {
    const args = ['sts', 'assume-role', '--role-arn', APP_ROLE, '--role-session-name', name];
    if (policy) args.push('--policy', JSON.stringify(policy));
    const r = await awsCli(t.url, args, cliAs('alice'));
    expect(r.stderr).toBe('');
    const c = (r.json as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } }).Credentials;
    return t.kms({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken });
  }
  const sessionArn = (name: string) => `arn:aws:sts::${ACCOUNT_A}:assumed-role/app/${name}`;

  it('a key policy naming the role allows every session of it; the role IAM policies count under delegation', async () => {
    const named = await newKey(
      withoutDelegation([{ Effect: 'Allow', Principal: { AWS: APP_ROLE }, Action: 'kms:Encrypt', Resource: '*' }]),
    );
    const delegating = await newKey();
    const s = await session('build-1');
    await expect(encrypt(s, named)).resolves.toMatchObject({ KeyId: named });
    await expect(encrypt(s, delegating)).resolves.toMatchObject({ KeyId: delegating });
    // The role's IAM allows Encrypt and DescribeKey only.
    await expect(s.send(new DisableKeyCommand({ KeyId: delegating }))).rejects.toMatchObject(
      denied(sessionArn('build-1'), 'kms:DisableKey', delegating, 'identity'),
    );
    await expect(encrypt(client('bob'), named)).rejects.toMatchObject(denied(userArn('bob'), 'kms:Encrypt', named, 'resource'));
  });

  it('a session policy only restricts', async () => {
    const key = await newKey();
    const narrow = await session('narrow', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:Decrypt'], Resource: '*' }],
    });
    await expect(narrow.send(new DescribeKeyCommand({ KeyId: key }))).resolves.toBeDefined();
    await expect(encrypt(narrow, key)).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: `User: ${sessionArn('narrow')} is not authorized to perform: kms:Encrypt on resource: ${key} because no session policy allows the kms:Encrypt action`,
    });
    // Decrypt is in the session policy but not in the role's own policies: still refused.
    const { CiphertextBlob } = await encrypt(root, key);
    await expect(narrow.send(new DecryptCommand({ CiphertextBlob }))).rejects.toMatchObject(
      denied(sessionArn('narrow'), 'kms:Decrypt', key, 'identity'),
    );
  });
});

describe('principals named in a key policy', () => {
  it('must exist: an unknown user or role of a configured account is an invalid principal', async () => {
    const naming = (arn: string) => keyPolicy([{ Effect: 'Allow', Principal: { AWS: arn }, Action: 'kms:DescribeKey', Resource: '*' }]);
    for (const arn of [`arn:aws:iam::${ACCOUNT_A}:user/nobody`, `arn:aws:iam::${ACCOUNT_A}:role/none`]) {
      await expect(root.send(new CreateKeyCommand({ Policy: naming(arn) }))).rejects.toMatchObject({
        name: 'MalformedPolicyDocumentException',
        message: 'Policy contains a statement with one or more invalid principals.',
      });
    }
    // Known users and roles, and accounts kmsd cannot see into, are accepted.
    for (const arn of [userArn('alice'), APP_ROLE, `arn:aws:sts::${ACCOUNT_A}:assumed-role/app/s1`, 'arn:aws:iam::999988887777:user/x']) {
      await expect(root.send(new CreateKeyCommand({ Policy: naming(arn) }))).resolves.toBeDefined();
    }
  });
});

// Compiled policies are cached by their text and a request's condition keys are read once per
// decision: a change must still decide the very next request.
describe('every change decides the next request', () => {
  const putPolicy = (key: string, Policy: string) => root.send(new PutKeyPolicyCommand({ KeyId: key, PolicyName: 'default', Policy }));

  /** alice may Encrypt under the context {app: <app>}: a key policy with a condition, as the bench's IAM-user case. */
  const aliceEncryptsWith = (app: string) => ({
    Effect: 'Allow',
    Principal: { AWS: userArn('alice') },
    Action: 'kms:Encrypt',
    Resource: '*',
    Condition: { StringEquals: { 'kms:EncryptionContext:app': app } },
  });

  it('PutKeyPolicy: the new policy decides at once, and the old text again when it is put back', async () => {
    const aliceWhen = (app: string) => withoutDelegation([aliceEncryptsWith(app)]);
    const key = await newKey(aliceWhen('bench'));
    await expect(encrypt(client('alice'), key, { app: 'bench' })).resolves.toMatchObject({ KeyId: key });
    await expect(encrypt(client('alice'), key, { app: 'bench' })).resolves.toMatchObject({ KeyId: key });
    await putPolicy(key, aliceWhen('other'));
    await expect(encrypt(client('alice'), key, { app: 'bench' })).rejects.toMatchObject(
      denied(userArn('alice'), 'kms:Encrypt', key, 'resource'),
    );
    await expect(encrypt(client('alice'), key, { app: 'other' })).resolves.toMatchObject({ KeyId: key });
    await putPolicy(key, aliceWhen('bench'));
    await expect(encrypt(client('alice'), key, { app: 'bench' })).resolves.toMatchObject({ KeyId: key });
    await expect(encrypt(client('alice'), key, { app: 'other' })).rejects.toMatchObject(
      denied(userArn('alice'), 'kms:Encrypt', key, 'resource'),
    );
  });

  it('the root: the default policy, then one denying it Encrypt, then the default text again', async () => {
    const key = await newKey();
    await expect(encrypt(root, key)).resolves.toMatchObject({ KeyId: key });
    const { Policy: defaultText } = await root.send(new GetKeyPolicyCommand({ KeyId: key, PolicyName: 'default' }));
    await putPolicy(key, keyPolicy([{ Effect: 'Deny', Principal: { AWS: rootArn(ACCOUNT_A) }, Action: 'kms:Encrypt', Resource: '*' }]));
    await expect(encrypt(root, key)).rejects.toMatchObject(denied(rootArn(ACCOUNT_A), 'kms:Encrypt', key, 'deny-resource'));
    await putPolicy(key, defaultText ?? '');
    await expect(encrypt(root, key)).resolves.toMatchObject({ KeyId: key });
  });

  it('CreateGrant, RevokeGrant and RetireGrant act on the next request', async () => {
    const context = { app: 'bench' };
    // bob has no IAM policies: only the grants let him.
    const key = await newKey(keyPolicy([aliceEncryptsWith('bench')]));
    const refused = denied(userArn('bob'), 'kms:Encrypt', key, 'identity');
    await expect(encrypt(client('bob'), key, context)).rejects.toMatchObject(refused);
    const first = await root.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: userArn('bob'), Operations: ['Encrypt'] }));
    await expect(encrypt(client('bob'), key, context)).resolves.toMatchObject({ KeyId: key });
    await expect(encrypt(client('bob'), key, context)).resolves.toMatchObject({ KeyId: key });
    await root.send(new RevokeGrantCommand({ KeyId: key, GrantId: first.GrantId }));
    await expect(encrypt(client('bob'), key, context)).rejects.toMatchObject(refused);
    const second = await root.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: userArn('bob'), Operations: ['Encrypt'] }));
    await expect(encrypt(client('bob'), key, context)).resolves.toMatchObject({ KeyId: key });
    await root.send(new RetireGrantCommand({ GrantToken: second.GrantToken }));
    await expect(encrypt(client('bob'), key, context)).rejects.toMatchObject(refused);
  });

  it('an IAM user denied by an explicit Deny stays denied, request after request, whatever allows it', async () => {
    const key = await newKey(keyPolicy([{ Effect: 'Allow', Principal: { AWS: userArn('denied') }, Action: 'kms:Encrypt', Resource: '*' }]));
    await root.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: userArn('denied'), Operations: ['Encrypt'] }));
    const refused = denied(userArn('denied'), 'kms:Encrypt', key, 'deny-identity');
    for (let i = 0; i < 3; i++) await expect(encrypt(client('denied'), key)).rejects.toMatchObject(refused);
    // Another user's allowed request on the same key between two refusals changes nothing.
    await expect(encrypt(client('admin'), key)).resolves.toMatchObject({ KeyId: key });
    await expect(encrypt(client('denied'), key)).rejects.toMatchObject(refused);
  });
});
