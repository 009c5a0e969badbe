/**
 * STS on kmsd's endpoint: GetCallerIdentity and AssumeRole through /usr/bin/aws and raw awsQuery
 * requests, and the temporary credentials used with the JS SDK and the CLI for KMS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListKeysCommand, CreateKeyCommand, EncryptCommand, DecryptCommand } from '@aws-sdk/client-kms';
import { uniqueId } from '../src/auth/principal.js';
import { awsCli, DEV, rawRequest, startKmsd } from './helpers/kmsd.js';
import type { RawRequestOptions, TestKmsd } from './helpers/kmsd.js';
import {
  ACCOUNT_TRUST_ROLE,
  ALICE,
  APP_ROLE,
  BOB,
  CAROL,
  CROSS_ROLE,
  EXTERNAL_ROLE,
  iamConfig,
  LONG_ROLE,
  NO_TAGS_ROLE,
  OTHER_ACCOUNT,
} from './helpers/iam-config.js';

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const asEnv = (k: Keys): Record<string, string> => ({
  AWS_ACCESS_KEY_ID: k.accessKeyId,
  AWS_SECRET_ACCESS_KEY: k.secretAccessKey,
  ...(k.sessionToken ? { AWS_SESSION_TOKEN: k.sessionToken } : {}),
});

/** One element's text in an XML answer. */
const xml = (text: unknown, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(String(text))?.[1];

let t: TestKmsd;

beforeAll(async () => {
  t = await startKmsd({ config: iamConfig(), rootKey: Buffer.alloc(32, 7).toString('base64') });
});
afterAll(async () => {
  await t?.close();
});

/** An awsQuery request signed for sts. */
function sts(params: Record<string, string>, keys: Keys = ALICE, o: Partial<RawRequestOptions> = {}) {
  return rawRequest(t.url, {
    service: 'sts',
    contentType: 'application/x-www-form-urlencoded; charset=utf-8',
    body: new URLSearchParams({ Version: '2011-06-15', ...params }).toString(),
    ...keys,
    // The service clock moves in the expiry test; sign by it.
    signingDate: t.serviceNow(),
    ...o,
  });
}

async function assume(keys: Keys, args: string[]): Promise<{ code: number; stderr: string; credentials?: Keys; json?: unknown }> {
  const r = await awsCli(t.url, ['sts', 'assume-role', ...args], asEnv(keys));
  const c = (r.json as { Credentials?: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } } | undefined)?.Credentials;
  return {
    code: r.code,
    stderr: r.stderr,
    json: r.json,
    credentials: c && { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
  };
}

describe('GetCallerIdentity', () => {
  it('names the root user, an IAM user and a role session, through /usr/bin/aws', { timeout: 180_000 }, async () => {
    const root = await awsCli(t.url, ['sts', 'get-caller-identity'], asEnv(DEV));
    expect(root.json).toEqual({ UserId: DEV.accountId, Account: DEV.accountId, Arn: `arn:aws:iam::${DEV.accountId}:root` });

    const bob = await awsCli(t.url, ['sts', 'get-caller-identity'], asEnv(BOB));
    expect(bob.json).toEqual({
      UserId: uniqueId('AIDA', DEV.accountId, 'bob'),
      Account: DEV.accountId,
      Arn: `arn:aws:iam::${DEV.accountId}:user/staff/bob`,
    });

    const session = await assumeRaw(ALICE, { RoleArn: APP_ROLE, RoleSessionName: 'build-7' });
    const who = await awsCli(t.url, ['sts', 'get-caller-identity'], asEnv(session.credentials as Keys));
    expect(who.json).toEqual({
      UserId: `${uniqueId('AROA', DEV.accountId, 'app')}:build-7`,
      Account: DEV.accountId,
      Arn: `arn:aws:sts::${DEV.accountId}:assumed-role/app/build-7`,
    });
  });

  it('answers in AWS XML with the namespace and the request id', async () => {
    const r = await sts({ Action: 'GetCallerIdentity' }, CAROL);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/xml');
    const requestId = r.headers.get('x-amzn-requestid');
    expect(r.body.raw).toBe(
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
        `<Arn>arn:aws:iam::${OTHER_ACCOUNT}:user/carol</Arn><UserId>${uniqueId('AIDA', OTHER_ACCOUNT, 'carol')}</UserId>` +
        `<Account>${OTHER_ACCOUNT}</Account></GetCallerIdentityResult>` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    );
  });

  it('refuses unknown keys, wrong secrets and unknown actions with query-protocol errors', { timeout: 120_000 }, async () => {
    const unknown = await sts({ Action: 'GetCallerIdentity' }, { accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' });
    expect(unknown.status).toBe(403);
    expect(unknown.body.raw).toBe(
      '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>' +
        `<Message>The security token included in the request is invalid.</Message></Error><RequestId>${unknown.headers.get('x-amzn-requestid')}</RequestId></ErrorResponse>`,
    );
    const wrong = await sts({ Action: 'GetCallerIdentity' }, { ...ALICE, secretAccessKey: 'wrong' });
    expect([wrong.status, xml(wrong.body.raw, 'Code')]).toEqual([403, 'SignatureDoesNotMatch']);
    const cli = await awsCli(t.url, ['sts', 'get-caller-identity'], { ...asEnv(ALICE), AWS_SECRET_ACCESS_KEY: 'wrong' });
    expect(cli.stderr).toContain('An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation');
    const action = await sts({ Action: 'GetSessionToken' });
    expect([action.status, xml(action.body.raw, 'Code'), xml(action.body.raw, 'Message')]).toEqual([
      400,
      'InvalidAction',
      'Could not find operation GetSessionToken for version 2011-06-15',
    ]);
    const version = await sts({ Action: 'GetCallerIdentity', Version: '2099-01-01' });
    expect(xml(version.body.raw, 'Message')).toBe('Could not find operation GetCallerIdentity for version 2099-01-01');
  });
});

/** AssumeRole as a raw awsQuery request: its status, error code/message, or credentials. */
async function assumeRaw(keys: Keys, params: Record<string, string>) {
  const r = await sts({ Action: 'AssumeRole', ...params }, keys);
  const text = String(r.body.raw);
  return {
    status: r.status,
    code: xml(text, 'Code'),
    message: xml(text, 'Message'),
    arn: xml(text, 'Arn'),
    packedPolicySize: xml(text, 'PackedPolicySize'),
    credentials:
      r.status === 200
        ? {
            accessKeyId: String(xml(text, 'AccessKeyId')),
            secretAccessKey: String(xml(text, 'SecretAccessKey')),
            sessionToken: String(xml(text, 'SessionToken')),
          }
        : undefined,
  };
}

const denied = (arn: string, role: string) => `User: ${arn} is not authorized to perform: sts:AssumeRole on resource: ${role}`;
const ALICE_ARN = `arn:aws:iam::${DEV.accountId}:user/alice`;

describe('AssumeRole', () => {
  it('returns ASIA credentials, a session token and an expiry; the SDK and the CLI use them for KMS', { timeout: 180_000 }, async () => {
    const before = t.serviceNow().getTime();
    const r = await assume(ALICE, ['--role-arn', APP_ROLE, '--role-session-name', 'sdk', '--duration-seconds', '900']);
    expect(r.code).toBe(0);
    const out = r.json as { Credentials: { AccessKeyId: string; Expiration: string }; AssumedRoleUser: unknown };
    expect(out.Credentials.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    const expires = Date.parse(out.Credentials.Expiration);
    expect(expires).toBeGreaterThanOrEqual(before + 899_000);
    expect(expires).toBeLessThanOrEqual(t.serviceNow().getTime() + 901_000);
    expect(out.AssumedRoleUser).toEqual({
      AssumedRoleId: `${uniqueId('AROA', DEV.accountId, 'app')}:sdk`,
      Arn: `arn:aws:sts::${DEV.accountId}:assumed-role/app/sdk`,
    });

    const keys = r.credentials as Keys;
    const kms = t.kms(keys);
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const plaintext = Buffer.from('role session data');
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: plaintext }));
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob }));
    expect(Buffer.from(decrypted.Plaintext ?? new Uint8Array()).toString()).toBe('role session data');
    // The session acts in the role's account: the root user sees the key the session made.
    const rootKeys = await t.kms().send(new ListKeysCommand({}));
    expect(rootKeys.Keys?.map((k) => k.KeyId)).toContain(KeyMetadata?.KeyId);

    const cli = await awsCli(t.url, ['kms', 'describe-key', '--key-id', String(KeyMetadata?.KeyId)], asEnv(keys));
    expect(cli.code).toBe(0);
    expect((cli.json as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId).toBe(KeyMetadata?.KeyId);
  });

  it('needs the trust policy, and the identity policy where the trust names only the account', { timeout: 120_000 }, async () => {
    const bobArn = `arn:aws:iam::${DEV.accountId}:user/staff/bob`;
    const bob = await assume(BOB, ['--role-arn', APP_ROLE, '--role-session-name', 'ss']);
    expect(bob.code).not.toBe(0);
    // The CLI adds "(reached max retries: 0)" between the operation and the message.
    expect(bob.stderr).toContain('An error occurred (AccessDenied) when calling the AssumeRole operation');
    expect(bob.stderr).toContain(`: ${denied(bobArn, APP_ROLE)}`);

    // The account is trusted: alice's identity policy allows, bob has none.
    expect((await assumeRaw(ALICE, { RoleArn: ACCOUNT_TRUST_ROLE, RoleSessionName: 'ss' })).status).toBe(200);
    const raw = await sts({ Action: 'AssumeRole', RoleArn: ACCOUNT_TRUST_ROLE, RoleSessionName: 'ss' }, BOB);
    expect([raw.status, xml(raw.body.raw, 'Type'), xml(raw.body.raw, 'Code'), xml(raw.body.raw, 'Message')]).toEqual([
      403,
      'Sender',
      'AccessDenied',
      denied(bobArn, ACCOUNT_TRUST_ROLE),
    ]);

    // Across accounts: trusted account + carol's own allow.
    expect((await assumeRaw(CAROL, { RoleArn: CROSS_ROLE, RoleSessionName: 'xx' })).status).toBe(200);
    // A role that does not exist is refused like a forbidden one.
    const missing = `arn:aws:iam::${DEV.accountId}:role/nope`;
    expect((await assumeRaw(ALICE, { RoleArn: missing, RoleSessionName: 'ss' })).message).toBe(denied(ALICE_ARN, missing));
  });

  it('refuses the root user, as AWS does', async () => {
    expect(await assumeRaw(DEV, { RoleArn: APP_ROLE, RoleSessionName: 'ss' })).toMatchObject({
      status: 403,
      code: 'AccessDenied',
      message: 'Roles may not be assumed by root accounts.',
    });
  });

  it('checks conditions of the trust policy (sts:ExternalId) and sts:TagSession for session tags', async () => {
    const partner = { RoleArn: EXTERNAL_ROLE, RoleSessionName: 'ss' };
    expect((await assumeRaw(ALICE, partner)).message).toBe(denied(ALICE_ARN, EXTERNAL_ROLE));
    expect((await assumeRaw(ALICE, { ...partner, ExternalId: 'wrong-id' })).code).toBe('AccessDenied');
    expect((await assumeRaw(ALICE, { ...partner, ExternalId: 'partner-ext-77' })).status).toBe(200);

    const tags = { 'Tags.member.1.Key': 'project', 'Tags.member.1.Value': 'x' };
    const tagged = await assumeRaw(ALICE, { RoleArn: APP_ROLE, RoleSessionName: 'tt', ...tags });
    expect(tagged.status).toBe(200);
    expect(Number(tagged.packedPolicySize)).toBeGreaterThan(0);
    expect((await assumeRaw(ALICE, { RoleArn: NO_TAGS_ROLE, RoleSessionName: 'tt', ...tags })).code).toBe('AccessDenied');
    expect((await assumeRaw(ALICE, { RoleArn: NO_TAGS_ROLE, RoleSessionName: 'tt' })).status).toBe(200);
    const duplicate = { ...tags, 'Tags.member.2.Key': 'PROJECT', 'Tags.member.2.Value': 'y' };
    expect(await assumeRaw(ALICE, { RoleArn: APP_ROLE, RoleSessionName: 'tt', ...duplicate })).toMatchObject({
      status: 400,
      code: 'ValidationError',
      message: 'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
    });
  });

  it('limits DurationSeconds to the role maximum, and role chaining to one hour', async () => {
    expect(await assumeRaw(ALICE, { RoleArn: APP_ROLE, RoleSessionName: 'ss', DurationSeconds: '7200' })).toMatchObject({
      status: 400,
      code: 'ValidationError',
      message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    });
    expect((await assumeRaw(ALICE, { RoleArn: LONG_ROLE, RoleSessionName: 'ss', DurationSeconds: '7200' })).status).toBe(200);
    const app = (await assumeRaw(ALICE, { RoleArn: APP_ROLE, RoleSessionName: 'chain' })).credentials as Keys;
    expect(await assumeRaw(app, { RoleArn: LONG_ROLE, RoleSessionName: 'c2', DurationSeconds: '7200' })).toMatchObject({
      code: 'ValidationError',
      message: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    });
    expect((await assumeRaw(app, { RoleArn: LONG_ROLE, RoleSessionName: 'c2' })).arn).toBe(
      `arn:aws:sts::${DEV.accountId}:assumed-role/long/c2`,
    );
  });

  it('lets a session policy only restrict: a session without sts:AssumeRole cannot chain', async () => {
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] });
    const narrowed = await assumeRaw(ALICE, { RoleArn: APP_ROLE, RoleSessionName: 'narrow', Policy: policy });
    expect(narrowed.status).toBe(200);
    expect((await assumeRaw(narrowed.credentials as Keys, { RoleArn: LONG_ROLE, RoleSessionName: 'cc' })).message).toBe(
      denied(`arn:aws:sts::${DEV.accountId}:assumed-role/app/narrow`, LONG_ROLE),
    );
  });

  it('validates parameters with the model constraints and AWS texts', async () => {
    const r = await sts({ Action: 'AssumeRole', RoleArn: APP_ROLE, RoleSessionName: 'has space', DurationSeconds: '60' });
    expect([r.status, xml(r.body.raw, 'Code'), xml(r.body.raw, 'Message')]).toEqual([
      400,
      'ValidationError',
      "2 validation errors detected: Value 'has space' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*; " +
        "Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    ]);
    const missing = await sts({ Action: 'AssumeRole', RoleArn: APP_ROLE });
    expect(xml(missing.body.raw, 'Message')).toBe(
      "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
    );
    const malformed = await assumeRaw(ALICE, { RoleArn: APP_ROLE, RoleSessionName: 'ok', Policy: '{"Statement": 7' });
    expect(malformed).toMatchObject({ status: 400, code: 'MalformedPolicyDocument', message: 'Syntax errors in policy.' });
  });
});

describe('temporary credentials', () => {
  async function session(duration = '900'): Promise<Keys> {
    const r = await assumeRaw(ALICE, { RoleArn: APP_ROLE, RoleSessionName: 'tmp', DurationSeconds: duration });
    if (!r.credentials) throw new Error(`AssumeRole failed: ${r.code} ${r.message}`);
    return r.credentials;
  }
  const listKeys = (keys: Keys, o: Partial<RawRequestOptions> = {}) =>
    rawRequest(t.url, { target: 'TrentService.ListKeys', ...keys, signingDate: t.serviceNow(), ...o });

  it('refuses a forged or altered token, a token with another key, and a temporary key without its token', async () => {
    const a = await session();
    const b = await session();
    expect((await listKeys(a)).status).toBe(200);
    const invalid = { __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
    const token = Buffer.from(a.sessionToken ?? '', 'base64url');
    token[40] ^= 0x01;
    expect((await listKeys({ ...a, sessionToken: token.toString('base64url') })).body).toEqual(invalid);
    expect((await listKeys({ ...a, sessionToken: b.sessionToken })).body).toEqual(invalid);
    expect((await listKeys({ ...b, sessionToken: 'AQID' + 'A'.repeat(80) })).body).toEqual(invalid);
    expect((await listKeys({ accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey })).body).toEqual(invalid);
    // A long-term key with someone's session token is refused too.
    expect((await listKeys({ ...ALICE, sessionToken: a.sessionToken })).body).toEqual(invalid);
    // A session token sent without being signed is refused before it is looked at.
    const unsigned = await listKeys(a, { unsignedHeaders: ['x-amz-security-token'] });
    expect(unsigned.body).toEqual({
      __type: 'InvalidSignatureException',
      message: "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization.",
    });
  });

  it('expire on the service clock: ExpiredTokenException for KMS, ExpiredToken for STS', { timeout: 120_000 }, async () => {
    const keys = await session('900');
    expect((await listKeys(keys)).status).toBe(200);
    await t.advanceClock(901);
    const expired = await listKeys(keys);
    expect(expired.status).toBe(400);
    expect(expired.body).toEqual({ __type: 'ExpiredTokenException', message: 'The security token included in the request is expired' });
    const viaSts = await sts({ Action: 'GetCallerIdentity' }, keys);
    expect([viaSts.status, xml(viaSts.body.raw, 'Code'), xml(viaSts.body.raw, 'Message')]).toEqual([
      400,
      'ExpiredToken',
      'The security token included in the request is expired',
    ]);
    // The CLI signs by the real clock, 901 s behind the service's: the token is judged first.
    const cli = await awsCli(t.url, ['kms', 'list-keys'], asEnv(keys));
    expect(cli.stderr).toContain('An error occurred (ExpiredTokenException) when calling the ListKeys operation');
    expect(cli.stderr).toContain(': The security token included in the request is expired');
  });

  it('are accepted by another kmsd with the same root key and by no other', async () => {
    const keys = await session('3600');
    const twin = await startKmsd({ config: iamConfig(), rootKey: Buffer.alloc(32, 7).toString('base64') });
    const stranger = await startKmsd({ config: iamConfig(), rootKey: Buffer.alloc(32, 8).toString('base64') });
    try {
      const signingDate = t.serviceNow();
      expect((await rawRequest(twin.url, { target: 'TrentService.ListKeys', ...keys, signingDate: new Date() })).status).toBe(
        // The twin's clock was not moved: the token is still valid there.
        200,
      );
      expect((await rawRequest(stranger.url, { target: 'TrentService.ListKeys', ...keys })).body.__type).toBe(
        'UnrecognizedClientException',
      );
      expect(signingDate).toBeInstanceOf(Date);
    } finally {
      await twin.close();
      await stranger.close();
    }
  });
});
