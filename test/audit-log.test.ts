/**
 * The audit log: one CloudTrail-style record per API call (SDK, CLI, STS, console), allowed or
 * refused, and never a secret in it.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateCustomKeyStoreCommand, CreateKeyCommand, EncryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { rawRequest, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { ALICE, APP_ROLE, BOB, iamConfig } from './helpers/iam-config.js';

interface AuditRecord {
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion?: string;
  sourceIPAddress: string;
  userIdentity?: { type: string; arn?: string; accountId?: string; principalId?: string; accessKeyId?: string; sessionContext?: unknown };
  requestParameters: Record<string, unknown> | null;
  resources: unknown[];
  errorCode?: string;
  errorMessage?: string;
  requestID: string;
  sessionCredentialFromConsole?: string;
}

let t: TestKmsd;
let dir: string;
let file: string;
/** Every secret the calls below send or receive; none may reach the audit file. */
const secrets: string[] = [ALICE.secretAccessKey, BOB.secretAccessKey];
const requestIds: string[] = [];
let records: AuditRecord[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kmsd-audit-'));
  file = join(dir, 'audit.log');
  t = await startKmsd({ config: iamConfig(), auditLog: file });

  const alice = t.kms(ALICE);
  const { KeyMetadata } = await alice.send(new CreateKeyCommand({ Description: 'audited' }));
  const plaintext = 'PLAINTEXT-never-logged-7f3e';
  secrets.push(plaintext, Buffer.from(plaintext).toString('base64'));
  await alice.send(
    new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from(plaintext), EncryptionContext: { app: 'audit' } }),
  );
  const dataKey = await alice.send(new GenerateDataKeyCommand({ KeyId: KeyMetadata?.KeyId, KeySpec: 'AES_256' }));
  secrets.push(Buffer.from(dataKey.Plaintext ?? new Uint8Array()).toString('base64'));
  const password = 'kmsuser-Passw0rd-never-logged';
  secrets.push(password);
  // Refused (no such cluster): audited with its error, the password still left out.
  await alice
    .send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: 'audited-store',
        CloudHsmClusterId: 'cluster-234abcdefgh',
        KeyStorePassword: password,
        TrustAnchorCertificate: 'x',
      }),
    )
    .catch(() => undefined);

  // STS: the response carries a secret and a token; neither may be logged.
  const sts = await rawRequest(t.url, {
    service: 'sts',
    contentType: 'application/x-www-form-urlencoded',
    body: new URLSearchParams({ Action: 'AssumeRole', Version: '2011-06-15', RoleArn: APP_ROLE, RoleSessionName: 'audited' }).toString(),
    ...ALICE,
  });
  const text = String(sts.body.raw);
  const session = {
    accessKeyId: String(/<AccessKeyId>([^<]*)</.exec(text)?.[1]),
    secretAccessKey: String(/<SecretAccessKey>([^<]*)</.exec(text)?.[1]),
    sessionToken: String(/<SessionToken>([^<]*)</.exec(text)?.[1]),
  };
  secrets.push(session.secretAccessKey, session.sessionToken);
  const listed = await rawRequest(t.url, { target: 'TrentService.ListKeys', ...session });
  requestIds.push(String(listed.headers.get('x-amzn-requestid')));

  // Refused before any principal is known: a wrong secret.
  const bad = await rawRequest(t.url, { target: 'TrentService.ListKeys', ...BOB, secretAccessKey: 'not-bobs-secret' });
  requestIds.push(String(bad.headers.get('x-amzn-requestid')));

  // The console, signed in as an IAM user.
  const signIn = await fetch(`${t.url}/console/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ accessKeyId: BOB.accessKeyId, secretAccessKey: BOB.secretAccessKey }),
  });
  const view = (await signIn.json()) as { csrfToken: string; principalArn: string };
  expect(view.principalArn).toBe('arn:aws:iam::111122223333:user/staff/bob');
  await fetch(`${t.url}/console/api/call`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Cookie: (signIn.headers.get('set-cookie') ?? '').split(';')[0],
      'X-Kmsd-Csrf-Token': view.csrfToken,
    },
    body: JSON.stringify({ service: 'kms', operation: 'ListAliases', region: 'eu-west-1', input: {} }),
  });

  await t.close(); // flushes the audit stream
  records = readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditRecord);
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const byName = (name: string) => records.filter((r) => r.eventName === name);

describe('audit log', () => {
  it('holds no secret: no plaintext, data key, password, secret access key or session token', () => {
    const content = readFileSync(file, 'utf8');
    for (const secret of secrets) expect(content.includes(secret), `audit log contains ${secret.slice(0, 6)}…`).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('records each call with its principal, source IP, region and parameters without secrets', () => {
    const [encrypt] = byName('Encrypt');
    expect(encrypt).toMatchObject({
      eventSource: 'kms.amazonaws.com',
      awsRegion: 'us-east-1',
      sourceIPAddress: '127.0.0.1',
      userIdentity: {
        type: 'IAMUser',
        arn: 'arn:aws:iam::111122223333:user/alice',
        accountId: '111122223333',
        accessKeyId: ALICE.accessKeyId,
      },
      requestParameters: { encryptionContext: { app: 'audit' } },
    });
    expect(Object.keys(encrypt.requestParameters ?? {}).sort()).toEqual(['encryptionContext', 'keyId']);
    expect(encrypt.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Array.isArray(encrypt.resources)).toBe(true);
    expect(byName('CreateKey')[0].requestParameters).toEqual({ description: 'audited' });
    const [store] = byName('CreateCustomKeyStore');
    expect(store.errorCode).toBeDefined();
    expect(Object.keys(store.requestParameters ?? {})).not.toContain('keyStorePassword');
  });

  it('records STS calls and the calls of a role session as AssumedRole', () => {
    const [assume] = byName('AssumeRole');
    expect(assume).toMatchObject({
      eventSource: 'sts.amazonaws.com',
      requestParameters: { roleArn: APP_ROLE, roleSessionName: 'audited' },
    });
    const list = records.find((r) => r.requestID === requestIds[0]);
    expect(list?.userIdentity).toMatchObject({
      type: 'AssumedRole',
      arn: 'arn:aws:sts::111122223333:assumed-role/app/audited',
      sessionContext: { sessionIssuer: { type: 'Role', arn: APP_ROLE } },
    });
  });

  it('records refused calls with their error, even before the caller is known', () => {
    const refused = records.find((r) => r.requestID === requestIds[1]);
    expect(refused).toMatchObject({ eventName: 'ListKeys', errorCode: 'InvalidSignatureException' });
    expect(refused?.userIdentity).toBeUndefined();
  });

  it('records console calls with the signed-in IAM user', () => {
    const [consoleCall] = byName('ListAliases');
    expect(consoleCall).toMatchObject({
      awsRegion: 'eu-west-1',
      sessionCredentialFromConsole: 'true',
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/staff/bob' },
    });
  });
});
