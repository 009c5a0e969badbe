import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateGrantCommand,
  CreateKeyCommand,
  DisableKeyCommand,
  ListGrantsCommand,
  ListRetirableGrantsCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { awsCli, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { expectError } from './helpers/errors.js';

const GRANTEE = 'arn:aws:iam::111122223333:role/app';
const RETIREE = 'arn:aws:iam::111122223333:role/ops';

let t: TestKmsd;
let kms: KMSClient;

beforeAll(async () => {
  t = await startKmsd();
  kms = t.kms();
});
afterAll(async () => t.close());

async function newKey(): Promise<{ KeyId: string; Arn: string }> {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
  if (!KeyMetadata?.KeyId || !KeyMetadata.Arn) throw new Error('CreateKey returned no key');
  return { KeyId: KeyMetadata.KeyId, Arn: KeyMetadata.Arn };
}

describe('grants', () => {
  // First: the CLI signs with the real time, and a later test moves the service clock.
  it('the AWS CLI creates a grant and lists it', async () => {
    const key = await newKey();
    const created = await awsCli(t.url, [
      'kms',
      'create-grant',
      '--key-id',
      key.KeyId,
      '--grantee-principal',
      GRANTEE,
      '--operations',
      'Encrypt',
      'Decrypt',
    ]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const grantId = (created.json as { GrantId: string }).GrantId;
    const listed = await awsCli(t.url, ['kms', 'list-grants', '--key-id', key.KeyId]);
    expect(listed.code).toBe(0);
    const grants = (listed.json as { Grants: { GrantId: string; GranteePrincipal: string; Operations: string[] }[] }).Grants;
    expect(grants.map((g) => [g.GrantId, g.GranteePrincipal, g.Operations])).toEqual([[grantId, GRANTEE, ['Encrypt', 'Decrypt']]]);
  });

  it('creates, lists with filters and pages, retires by token and by id, revokes', async () => {
    const key = await newKey();
    const g1 = await kms.send(
      new CreateGrantCommand({
        KeyId: key.Arn,
        GranteePrincipal: GRANTEE,
        RetiringPrincipal: RETIREE,
        Operations: ['Encrypt', 'Decrypt'],
        Constraints: { EncryptionContextSubset: { app: 'x' } },
        Name: 'g1',
      }),
    );
    expect(g1.GrantId).toMatch(/^[0-9a-f]{64}$/);
    expect(g1.GrantToken).toBeTruthy();
    // Same name and parameters (operations in another order): the same grant.
    const again = await kms.send(
      new CreateGrantCommand({
        KeyId: key.KeyId,
        GranteePrincipal: GRANTEE,
        RetiringPrincipal: RETIREE,
        Operations: ['Decrypt', 'Encrypt'],
        Constraints: { EncryptionContextSubset: { app: 'x' } },
        Name: 'g1',
      }),
    );
    expect(again.GrantId).toBe(g1.GrantId);
    const g2 = await kms.send(
      new CreateGrantCommand({ KeyId: key.KeyId, GranteeServicePrincipal: 'logs.amazonaws.com', Operations: ['DescribeKey'], Name: 'g1' }),
    );
    expect(g2.GrantId).not.toBe(g1.GrantId);
    const g3 = await kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: GRANTEE, Operations: ['GenerateDataKey'] }));

    const all = await kms.send(new ListGrantsCommand({ KeyId: key.KeyId }));
    expect(all.Grants?.map((g) => g.GrantId)).toEqual([g1.GrantId, g2.GrantId, g3.GrantId]);
    expect(all.Truncated).toBe(false);
    expect(all.Grants?.[0]).toMatchObject({
      KeyId: key.Arn,
      Name: 'g1',
      GranteePrincipal: GRANTEE,
      RetiringPrincipal: RETIREE,
      IssuingAccount: 'arn:aws:iam::111122223333:root',
      Operations: ['Encrypt', 'Decrypt'],
      Constraints: { EncryptionContextSubset: { app: 'x' } },
    });
    const first = await kms.send(new ListGrantsCommand({ KeyId: key.KeyId, Limit: 2 }));
    expect(first.Grants).toHaveLength(2);
    expect(first.Truncated).toBe(true);
    const rest = await kms.send(new ListGrantsCommand({ KeyId: key.KeyId, Limit: 2, Marker: first.NextMarker }));
    expect(rest.Grants?.map((g) => g.GrantId)).toEqual([g3.GrantId]);
    const byGrantee = await kms.send(new ListGrantsCommand({ KeyId: key.KeyId, GranteePrincipal: GRANTEE }));
    expect(byGrantee.Grants?.map((g) => g.GrantId)).toEqual([g1.GrantId, g3.GrantId]);
    const byId = await kms.send(new ListGrantsCommand({ KeyId: key.KeyId, GrantId: g2.GrantId }));
    expect(byId.Grants?.map((g) => g.GranteeServicePrincipal)).toEqual(['logs.amazonaws.com']);
    const retirable = await kms.send(new ListRetirableGrantsCommand({ RetiringPrincipal: RETIREE }));
    expect(retirable.Grants?.map((g) => g.GrantId)).toEqual([g1.GrantId]);

    await kms.send(new RetireGrantCommand({ GrantToken: g1.GrantToken }));
    await expectError(
      kms.send(new RetireGrantCommand({ GrantToken: g1.GrantToken })),
      'InvalidGrantTokenException',
      400,
      'Grant token is not valid.',
    );
    await kms.send(new RetireGrantCommand({ KeyId: key.Arn, GrantId: g2.GrantId }));
    await kms.send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId: g3.GrantId }));
    expect((await kms.send(new ListGrantsCommand({ KeyId: key.KeyId }))).Grants).toEqual([]);
    await expectError(
      kms.send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId: g3.GrantId ?? '' })),
      'NotFoundException',
      400,
      `Grant ID ${g3.GrantId} not found.`,
    );
    await expectError(
      kms.send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId: 'nope' })),
      'InvalidGrantIdException',
      400,
      'Invalid grant ID nope.',
    );
    await expectError(
      kms.send(new RetireGrantCommand({ GrantToken: 'garbage' })),
      'InvalidGrantTokenException',
      400,
      'Grant token is not valid.',
    );
  });

  it('rejects bad requests and follows the key-state table', async () => {
    const key = await newKey();
    await expectError(
      kms.send(new CreateGrantCommand({ KeyId: key.KeyId, Operations: ['Encrypt'] })),
      'ValidationException',
      400,
      'Specify exactly one of GranteePrincipal and GranteeServicePrincipal.',
    );
    await expectError(
      kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: GRANTEE, Operations: ['Sign'] })),
      'ValidationException',
      400,
      'Grant operations Sign are not valid for a SYMMETRIC_DEFAULT key with KeyUsage ENCRYPT_DECRYPT.',
    );
    await expectError(
      kms.send(
        new CreateGrantCommand({
          KeyId: key.KeyId,
          GranteePrincipal: GRANTEE,
          Operations: ['Encrypt'],
          Constraints: { EncryptionContextSubset: { a: '1' }, EncryptionContextEquals: { a: '1' } },
        }),
      ),
      'ValidationException',
      400,
      'A grant can have only one encryption context constraint: EncryptionContextSubset or EncryptionContextEquals.',
    );
    await expectError(
      kms.send(new RetireGrantCommand({ KeyId: key.Arn })),
      'ValidationException',
      400,
      'Specify either GrantToken, or both KeyId and GrantId.',
    );
    const kept = await kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: GRANTEE, Operations: ['Encrypt'] }));
    await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    await expectError(
      kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: GRANTEE, Operations: ['Encrypt'] })),
      'DisabledException',
      400,
      `${key.Arn} is disabled.`,
    );
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    await expectError(
      kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: GRANTEE, Operations: ['Encrypt'] })),
      'KMSInvalidStateException',
      400,
      `${key.Arn} is pending deletion.`,
    );
    // Listing and revoking work in every state; nothing rejected above was stored.
    expect((await kms.send(new ListGrantsCommand({ KeyId: key.KeyId }))).Grants?.map((g) => g.GrantId)).toEqual([kept.GrantId]);
    await kms.send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId: kept.GrantId }));
    // After the deletion window the key and its grants are gone.
    const other = await newKey();
    await kms.send(
      new CreateGrantCommand({
        KeyId: other.KeyId,
        GranteePrincipal: GRANTEE,
        RetiringPrincipal: 'arn:aws:iam::111122223333:role/gone',
        Operations: ['Encrypt'],
      }),
    );
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: other.KeyId, PendingWindowInDays: 7 }));
    await t.advanceClock(8 * 86400);
    await expectError(
      kms.send(new ListGrantsCommand({ KeyId: other.KeyId })),
      'NotFoundException',
      400,
      `Key '${other.Arn}' does not exist`,
    );
    expect((await kms.send(new ListRetirableGrantsCommand({ RetiringPrincipal: 'arn:aws:iam::111122223333:role/gone' }))).Grants).toEqual(
      [],
    );
  });
});
