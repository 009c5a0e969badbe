/**
 * Grants as a source of permission (constraints, tokens, retire and revoke rights, grants
 * made from grants) and cross-account use: account B reaches account A's key only when A's
 * key policy allows B and B's IAM policy allows the action, only for the operations AWS lets
 * cross accounts, and learns nothing about keys it may not use.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  ListKeysCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
} from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { awsCli, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { ACCOUNT_A, ACCOUNT_B, as, authConfig, cliAs, keyPolicy, ROOT_B, rootArn, userArn } from './helpers/auth-config.js';

let t: TestKmsd;
let root: KMSClient;
let auditDir: string;
const client = (name: string) => t.kms(as(name));

beforeAll(async () => {
  auditDir = mkdtempSync(join(tmpdir(), 'kmsd-auth-audit-'));
  t = await startKmsd({ config: authConfig(), auditLog: join(auditDir, 'audit.jsonl') });
  root = t.kms();
});
afterAll(async () => {
  await t.close();
  rmSync(auditDir, { recursive: true, force: true });
});

async function newKey(policy?: string): Promise<string> {
  const { KeyMetadata } = await root.send(new CreateKeyCommand({ Policy: policy }));
  if (!KeyMetadata?.Arn) throw new Error('CreateKey returned no key');
  return KeyMetadata.Arn;
}

const encrypt = (kms: KMSClient, keyId: string, context?: Record<string, string>, tokens?: string[]) =>
  kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('secret'), EncryptionContext: context, GrantTokens: tokens }));

const refusal = (user: string, action: string, key: string, reason: string) => ({
  name: 'AccessDeniedException',
  message: `User: ${user} is not authorized to perform: ${action} on resource: ${key} ${reason}`,
  $metadata: { httpStatusCode: 400 },
});
const noIdentity = (action: string) => `because no identity-based policy allows the ${action} action`;
const noResource = (action: string) => `because no resource-based policy allows the ${action} action`;

describe('grants', () => {
  it('let the grantee perform the grant operations, and only those', async () => {
    const key = await newKey();
    await expect(encrypt(client('bob'), key)).rejects.toMatchObject(refusal(userArn('bob'), 'kms:Encrypt', key, noIdentity('kms:Encrypt')));
    const { GrantToken } = await root.send(
      new CreateGrantCommand({ KeyId: key, GranteePrincipal: userArn('bob'), Operations: ['Encrypt'] }),
    );
    // The token is accepted (kmsd applies grants at once, so it adds nothing), a made-up one is not.
    const { CiphertextBlob } = await encrypt(client('bob'), key, undefined, [GrantToken ?? '']);
    await expect(encrypt(client('bob'), key, undefined, ['not-a-grant-token'])).rejects.toMatchObject({
      name: 'InvalidGrantTokenException',
    });
    await expect(client('bob').send(new DecryptCommand({ CiphertextBlob }))).rejects.toMatchObject(
      refusal(userArn('bob'), 'kms:Decrypt', key, noIdentity('kms:Decrypt')),
    );
    await expect(encrypt(client('alice'), key)).rejects.toMatchObject(
      refusal(userArn('alice'), 'kms:Encrypt', key, noIdentity('kms:Encrypt')),
    );
  });

  it('enforce EncryptionContextSubset and EncryptionContextEquals constraints', async () => {
    const key = await newKey();
    await root.send(
      new CreateGrantCommand({
        KeyId: key,
        GranteePrincipal: userArn('bob'),
        Operations: ['Encrypt'],
        Constraints: { EncryptionContextSubset: { app: 'billing' } },
      }),
    );
    await root.send(
      new CreateGrantCommand({
        KeyId: key,
        GranteePrincipal: userArn('alice'),
        Operations: ['Encrypt'],
        Constraints: { EncryptionContextEquals: { app: 'billing' } },
      }),
    );
    await expect(encrypt(client('bob'), key, { app: 'billing', user: 'x' })).resolves.toMatchObject({ KeyId: key });
    await expect(encrypt(client('bob'), key, { app: 'payroll' })).rejects.toMatchObject(
      refusal(userArn('bob'), 'kms:Encrypt', key, noIdentity('kms:Encrypt')),
    );
    await expect(encrypt(client('bob'), key)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(encrypt(client('alice'), key, { app: 'billing' })).resolves.toMatchObject({ KeyId: key });
    await expect(encrypt(client('alice'), key, { app: 'billing', user: 'x' })).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('cannot override an explicit deny in the key policy', async () => {
    const key = await newKey(keyPolicy([{ Effect: 'Deny', Principal: { AWS: userArn('bob') }, Action: 'kms:Encrypt', Resource: '*' }]));
    await root.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: userArn('bob'), Operations: ['Encrypt'] }));
    await expect(encrypt(client('bob'), key)).rejects.toMatchObject(
      refusal(userArn('bob'), 'kms:Encrypt', key, 'with an explicit deny in a resource-based policy'),
    );
  });

  it('a grant with CreateGrant lets its grantee grant a subset of its operations, no more', async () => {
    const key = await newKey();
    await root.send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: userArn('bob'), Operations: ['Encrypt', 'CreateGrant'] }));
    await client('bob').send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: userArn('alice'), Operations: ['Encrypt'] }));
    await expect(encrypt(client('alice'), key)).resolves.toMatchObject({ KeyId: key });
    await expect(
      client('bob').send(new CreateGrantCommand({ KeyId: key, GranteePrincipal: userArn('alice'), Operations: ['Decrypt'] })),
    ).rejects.toMatchObject(refusal(userArn('bob'), 'kms:CreateGrant', key, noIdentity('kms:CreateGrant')));
  });

  it('RetireGrant: the retiring principal, the grantee with RetireGrant and the issuing account may retire; others may not', async () => {
    const key = await newKey();
    const grant = (operations: ('Encrypt' | 'RetireGrant')[], retiring?: string) =>
      root.send(
        new CreateGrantCommand({ KeyId: key, GranteePrincipal: userArn('bob'), RetiringPrincipal: retiring, Operations: operations }),
      );
    const plain = await grant(['Encrypt']);
    await expect(client('bob').send(new RetireGrantCommand({ GrantToken: plain.GrantToken }))).rejects.toMatchObject(
      refusal(userArn('bob'), 'kms:RetireGrant', key, noResource('kms:RetireGrant')),
    );
    const retiredByAlice = await grant(['Encrypt'], userArn('alice'));
    await client('alice').send(new RetireGrantCommand({ GrantToken: retiredByAlice.GrantToken }));
    const retiredByGrantee = await grant(['Encrypt', 'RetireGrant']);
    await client('bob').send(new RetireGrantCommand({ KeyId: key, GrantId: retiredByGrantee.GrantId }));
    // The account the grant was created in: its root, and users its IAM allows kms:RetireGrant.
    await client('admin').send(new RetireGrantCommand({ KeyId: key, GrantId: plain.GrantId }));
    const again = await grant(['Encrypt']);
    await root.send(new RetireGrantCommand({ GrantToken: again.GrantToken }));
    // Retired grants no longer allow.
    await expect(encrypt(client('bob'), key)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('RevokeGrant needs kms:RevokeGrant on the key: the grantee cannot revoke, the key policy or IAM decides', async () => {
    const key = await newKey();
    const { GrantId } = await root.send(
      new CreateGrantCommand({ KeyId: key, GranteePrincipal: userArn('bob'), Operations: ['Encrypt', 'RetireGrant'] }),
    );
    await expect(client('bob').send(new RevokeGrantCommand({ KeyId: key, GrantId }))).rejects.toMatchObject(
      refusal(userArn('bob'), 'kms:RevokeGrant', key, noIdentity('kms:RevokeGrant')),
    );
    await client('admin').send(new RevokeGrantCommand({ KeyId: key, GrantId }));
    await expect(encrypt(client('bob'), key)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('cross-account', () => {
  const shareWithB = () =>
    keyPolicy([
      {
        Sid: 'Allow use of the key by account B',
        Effect: 'Allow',
        Principal: { AWS: rootArn(ACCOUNT_B) },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey', 'kms:DisableKey'],
        Resource: '*',
      },
    ]);

  it('B uses A key by ARN when A key policy allows B and B IAM allows the action', async () => {
    const key = await newKey(shareWithB());
    const { CiphertextBlob } = await encrypt(client('carol'), key);
    const { Plaintext } = await client('carol').send(new DecryptCommand({ CiphertextBlob, KeyId: key }));
    expect(Buffer.from(Plaintext ?? []).toString()).toBe('secret');
    await expect(t.kms(ROOT_B).send(new DescribeKeyCommand({ KeyId: key }))).resolves.toMatchObject({ KeyMetadata: { Arn: key } });
    await expect(encrypt(client('dave'), key)).rejects.toMatchObject(
      refusal(userArn('dave'), 'kms:Encrypt', key, noIdentity('kms:Encrypt')),
    );
    const cli = await awsCli(t.url, ['kms', 'describe-key', '--key-id', key], cliAs('carol'));
    expect(cli.code).toBe(0);
    expect((cli.json as { KeyMetadata: { AWSAccountId: string } }).KeyMetadata.AWSAccountId).toBe(ACCOUNT_A);
  });

  it('B cannot reach A key without A key policy allowing it, whatever B IAM says', async () => {
    const key = await newKey();
    await expect(encrypt(client('carol'), key)).rejects.toMatchObject(
      refusal(userArn('carol'), 'kms:Encrypt', key, noResource('kms:Encrypt')),
    );
    await expect(encrypt(t.kms(ROOT_B), key)).rejects.toMatchObject(
      refusal(rootArn(ACCOUNT_B), 'kms:Encrypt', key, noResource('kms:Encrypt')),
    );
    const { CiphertextBlob } = await encrypt(root, key);
    await expect(client('carol').send(new DecryptCommand({ CiphertextBlob, KeyId: key }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message:
        'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.',
    });
  });

  it('the audit log names the key the authorizer decided on, for refused calls too', async () => {
    const key = await newKey();
    await expect(encrypt(client('carol'), key)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    // The log is an append stream: wait until the record has reached the file.
    const refused = await vi.waitFor(() => {
      const records = readFileSync(join(auditDir, 'audit.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map(
          (line) =>
            JSON.parse(line) as {
              eventName: string;
              errorCode?: string;
              resources: { ARN: string; accountId: string }[];
              userIdentity: { arn: string };
            },
        );
      const found = records.filter(
        (r) => r.eventName === 'Encrypt' && r.userIdentity.arn === userArn('carol') && r.resources.some((x) => x.ARN === key),
      );
      expect(found).toHaveLength(1);
      return found;
    });
    expect(refused).toHaveLength(1);
    expect(refused[0].errorCode).toBe('AccessDeniedException');
    expect(refused[0].resources).toEqual([expect.objectContaining({ ARN: key, accountId: ACCOUNT_A })]);
  });

  it('management operations stay in the owning account even when the key policy names B', async () => {
    const key = await newKey(shareWithB());
    await expect(client('carol').send(new DisableKeyCommand({ KeyId: key }))).rejects.toMatchObject(
      refusal(userArn('carol'), 'kms:DisableKey', key, noResource('kms:DisableKey')),
    );
  });

  it('a key id alone, ListKeys, and a missing key ARN never reveal A keys to B', async () => {
    const key = await newKey(shareWithB());
    const keyId = key.split('/')[1];
    await expect(client('carol').send(new DescribeKeyCommand({ KeyId: keyId }))).rejects.toMatchObject({
      name: 'NotFoundException',
      message: `Key 'arn:aws:kms:us-east-1:${ACCOUNT_B}:key/${keyId}' does not exist`,
    });
    const { Keys } = await t.kms(ROOT_B).send(new ListKeysCommand({}));
    expect(Keys?.map((k) => k.KeyArn)).not.toContain(key);
    const missing = `arn:aws:kms:us-east-1:${ACCOUNT_A}:key/00000000-0000-0000-0000-000000000000`;
    await expect(client('carol').send(new DescribeKeyCommand({ KeyId: missing }))).rejects.toMatchObject({
      name: 'NotFoundException',
      message: `Key '${missing}' does not exist`,
    });
  });
});
