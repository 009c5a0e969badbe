/**
 * Every operation is authorized: each KMS and CloudHSM operation of the models declares its
 * IAM action, and a caller whose identity policy denies everything is refused by each one
 * (through the SDK) with AWS's AccessDenied text, which proves the evaluator really runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as kmsSdk from '@aws-sdk/client-kms';
import * as hsmSdk from '@aws-sdk/client-cloudhsm-v2';
import { CreateGrantCommand, CreateKeyCommand, EncryptCommand } from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import { KMS_OPERATIONS } from '../src/generated/kms.js';
import { CLOUDHSM_OPERATIONS } from '../src/generated/cloudhsmv2.js';
import { KMS_AUTHORIZATION } from '../src/kms/authorization.js';
import { CLOUDHSM_AUTHORIZATION } from '../src/cloudhsm/authorization.js';
import { rawRequest, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { as, authConfig, userArn } from './helpers/auth-config.js';

/** The operations whose AWS documentation says "Cross-account use: Yes" (spec §2.4). */
const CROSS_ACCOUNT = [
  'CreateGrant',
  'Decrypt',
  'DeriveSharedSecret',
  'DescribeKey',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateMac',
  'GetKeyRotationStatus',
  'GetPublicKey',
  'ListGrants',
  'ReEncrypt',
  'RetireGrant',
  'RevokeGrant',
  'Sign',
  'Verify',
  'VerifyMac',
];
/** Decided by IAM identity policies alone (spec §2.3). */
const KEYLESS = [
  'ConnectCustomKeyStore',
  'CreateCustomKeyStore',
  'CreateKey',
  'DeleteCustomKeyStore',
  'DescribeCustomKeyStores',
  'DisconnectCustomKeyStore',
  'GenerateRandom',
  'ListAliases',
  'ListKeys',
  'ListRetirableGrants',
  'UpdateCustomKeyStore',
];

describe('declared authorization', () => {
  it('every KMS operation of the model declares kms:<Operation> (ReEncrypt: ReEncryptFrom and ReEncryptTo)', () => {
    for (const op of KMS_OPERATIONS) {
      const expected = op === 'ReEncrypt' ? ['kms:ReEncryptFrom', 'kms:ReEncryptTo'] : [`kms:${op}`];
      expect(KMS_AUTHORIZATION[op].actions, op).toEqual(expected);
    }
    expect(Object.keys(KMS_AUTHORIZATION).sort()).toEqual([...KMS_OPERATIONS].sort());
  });

  it('declares which operations cross accounts and which need no key', () => {
    expect(KMS_OPERATIONS.filter((op) => KMS_AUTHORIZATION[op].crossAccount)).toEqual(CROSS_ACCOUNT);
    expect(KMS_OPERATIONS.filter((op) => KMS_AUTHORIZATION[op].resource === 'none')).toEqual(KEYLESS);
    expect(KMS_OPERATIONS.filter((op) => KMS_AUTHORIZATION[op].resource === 'alias')).toEqual([
      'CreateAlias',
      'DeleteAlias',
      'UpdateAlias',
    ]);
  });

  it('every CloudHSM operation of the model declares cloudhsm:<Operation>', () => {
    for (const op of CLOUDHSM_OPERATIONS) expect(CLOUDHSM_AUTHORIZATION[op].action, op).toBe(`cloudhsm:${op}`);
    expect(Object.keys(CLOUDHSM_AUTHORIZATION).sort()).toEqual([...CLOUDHSM_OPERATIONS].sort());
  });
});

describe('a Deny-all identity policy refuses every operation', () => {
  let t: TestKmsd;
  let root: KMSClient;
  let denied: KMSClient;
  let deniedHsm: CloudHSMV2Client;
  let keyArn: string;
  let ciphertext: Uint8Array;
  let grantId: string;
  let grantToken: string;

  beforeAll(async () => {
    t = await startKmsd({ config: authConfig() });
    root = t.kms();
    denied = t.kms(as('denied'));
    deniedHsm = t.cloudhsm(as('denied'));
    const created = await root.send(new CreateKeyCommand({}));
    keyArn = created.KeyMetadata?.Arn ?? '';
    ciphertext = (await root.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('x') }))).CiphertextBlob ?? new Uint8Array();
    const grant = await root.send(new CreateGrantCommand({ KeyId: keyArn, GranteePrincipal: userArn('bob'), Operations: ['Encrypt'] }));
    grantId = grant.GrantId ?? '';
    grantToken = grant.GrantToken ?? '';
  });
  afterAll(async () => t.close());

  /** A request each KMS operation's model accepts, naming the test key where it takes one. */
  function kmsInput(op: string): Record<string, unknown> {
    const msg = Buffer.from('message');
    const inputs: Record<string, Record<string, unknown>> = {
      ConnectCustomKeyStore: { CustomKeyStoreId: 'cks-1234567890abcdef0' },
      CreateAlias: { AliasName: 'alias/denied', TargetKeyId: keyArn },
      CreateCustomKeyStore: {
        CustomKeyStoreName: 'store',
        CloudHsmClusterId: 'cluster-234567abcde',
        KeyStorePassword: 'password1',
        TrustAnchorCertificate: 'x',
      },
      CreateGrant: { KeyId: keyArn, GranteePrincipal: userArn('bob'), Operations: ['Decrypt'] },
      CreateKey: {},
      Decrypt: { CiphertextBlob: ciphertext },
      DeleteAlias: { AliasName: 'alias/denied' },
      DeleteCustomKeyStore: { CustomKeyStoreId: 'cks-1234567890abcdef0' },
      DeriveSharedSecret: { KeyId: keyArn, KeyAgreementAlgorithm: 'ECDH', PublicKey: msg },
      DescribeCustomKeyStores: {},
      DisconnectCustomKeyStore: { CustomKeyStoreId: 'cks-1234567890abcdef0' },
      EnableKeyRotation: { KeyId: keyArn },
      Encrypt: { KeyId: keyArn, Plaintext: msg },
      GenerateDataKey: { KeyId: keyArn, NumberOfBytes: 32 },
      GenerateDataKeyPair: { KeyId: keyArn, KeyPairSpec: 'RSA_2048' },
      GenerateDataKeyPairWithoutPlaintext: { KeyId: keyArn, KeyPairSpec: 'RSA_2048' },
      GenerateDataKeyWithoutPlaintext: { KeyId: keyArn, NumberOfBytes: 32 },
      GenerateMac: { KeyId: keyArn, Message: msg, MacAlgorithm: 'HMAC_SHA_256' },
      GenerateRandom: { NumberOfBytes: 16 },
      GetParametersForImport: { KeyId: keyArn, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' },
      ImportKeyMaterial: { KeyId: keyArn, ImportToken: msg, EncryptedKeyMaterial: msg },
      ListAliases: {},
      ListKeys: {},
      ListRetirableGrants: { RetiringPrincipal: userArn('bob') },
      PutKeyPolicy: { KeyId: keyArn, PolicyName: 'default', Policy: '{"Version":"2012-10-17","Statement":[]}' },
      ReEncrypt: { CiphertextBlob: ciphertext, DestinationKeyId: keyArn },
      ReplicateKey: { KeyId: keyArn, ReplicaRegion: 'us-west-2' },
      RetireGrant: { GrantToken: grantToken },
      RevokeGrant: { KeyId: keyArn, GrantId: grantId },
      ScheduleKeyDeletion: { KeyId: keyArn, PendingWindowInDays: 7 },
      Sign: { KeyId: keyArn, Message: msg, SigningAlgorithm: 'RSASSA_PSS_SHA_256' },
      TagResource: { KeyId: keyArn, Tags: [{ TagKey: 'k', TagValue: 'v' }] },
      UntagResource: { KeyId: keyArn, TagKeys: ['k'] },
      UpdateAlias: { AliasName: 'alias/denied', TargetKeyId: keyArn },
      UpdateCustomKeyStore: { CustomKeyStoreId: 'cks-1234567890abcdef0' },
      UpdateKeyDescription: { KeyId: keyArn, Description: 'd' },
      UpdatePrimaryRegion: { KeyId: keyArn, PrimaryRegion: 'us-west-2' },
      Verify: { KeyId: keyArn, Message: msg, Signature: msg, SigningAlgorithm: 'RSASSA_PSS_SHA_256' },
      VerifyMac: { KeyId: keyArn, Message: msg, Mac: msg, MacAlgorithm: 'HMAC_SHA_256' },
    };
    return inputs[op] ?? { KeyId: keyArn };
  }

  /** The resource AWS names in the refusal: the key, the alias, or `*` for keyless actions. */
  function resourceOf(op: string): string {
    if (KMS_AUTHORIZATION[op as keyof typeof KMS_AUTHORIZATION].resource === 'none') return '*';
    if (op === 'CreateAlias' || op === 'DeleteAlias' || op === 'UpdateAlias') return `arn:aws:kms:us-east-1:111122223333:alias/denied`;
    return keyArn;
  }

  it.each([...KMS_OPERATIONS])('KMS %s', async (op) => {
    const Command = (kmsSdk as unknown as Record<string, new (input: unknown) => kmsSdk.DescribeKeyCommand>)[`${op}Command`];
    // ReEncrypt decides its source key (kms:ReEncryptFrom) first: AWS checks the source before
    // the destination (recorded order of checks, test/kms-aws-recordings.test.ts).
    const action = op === 'ReEncrypt' ? 'kms:ReEncryptFrom' : KMS_AUTHORIZATION[op].actions[0];
    await expect(denied.send(new Command(kmsInput(op)))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: `User: ${userArn('denied')} is not authorized to perform: ${action} on resource: ${resourceOf(op)} with an explicit deny in an identity-based policy`,
    });
  });

  /** A request each CloudHSM operation's model accepts. */
  function hsmInput(op: string): Record<string, unknown> {
    const inputs: Record<string, Record<string, unknown>> = {
      CopyBackupToRegion: { DestinationRegion: 'us-west-2', BackupId: 'backup-234567abcde' },
      CreateCluster: { HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0123456789abcdef0'] },
      CreateHsm: { ClusterId: 'cluster-234567abcde', AvailabilityZone: 'us-east-1a' },
      DeleteBackup: { BackupId: 'backup-234567abcde' },
      DeleteCluster: { ClusterId: 'cluster-234567abcde' },
      DeleteHsm: { ClusterId: 'cluster-234567abcde', HsmId: 'hsm-234567abcde' },
      DeleteResourcePolicy: { ResourceArn: 'arn:aws:cloudhsm:us-east-1:111122223333:backup/backup-234567abcde' },
      GetResourcePolicy: { ResourceArn: 'arn:aws:cloudhsm:us-east-1:111122223333:backup/backup-234567abcde' },
      InitializeCluster: { ClusterId: 'cluster-234567abcde', SignedCert: 'x', TrustAnchor: 'y' },
      ListTags: { ResourceId: 'cluster-234567abcde' },
      ModifyBackupAttributes: { BackupId: 'backup-234567abcde', NeverExpires: true },
      ModifyCluster: { ClusterId: 'cluster-234567abcde', BackupRetentionPolicy: { Type: 'DAYS', Value: '90' } },
      PutResourcePolicy: { ResourceArn: 'arn:aws:cloudhsm:us-east-1:111122223333:backup/backup-234567abcde', Policy: '{}' },
      RestoreBackup: { BackupId: 'backup-234567abcde' },
      TagResource: { ResourceId: 'cluster-234567abcde', TagList: [{ Key: 'k', Value: 'v' }] },
      UntagResource: { ResourceId: 'cluster-234567abcde', TagKeyList: ['k'] },
    };
    return inputs[op] ?? {};
  }

  it.each([...CLOUDHSM_OPERATIONS])('CloudHSM %s', async (op) => {
    const expected = new RegExp(
      `^User: ${userArn('denied')} is not authorized to perform: cloudhsm:${op} on resource: \\S+ with an explicit deny in an identity-based policy$`,
    );
    const Command = (hsmSdk as unknown as Record<string, (new (input: unknown) => hsmSdk.DescribeClustersCommand) | undefined>)[
      `${op}Command`
    ];
    if (Command) {
      await expect(deniedHsm.send(new Command(hsmInput(op)))).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: expect.stringMatching(expected) as unknown,
      });
      return;
    }
    // The SDK in use predates the resource-policy operations: a signed raw request instead.
    const res = await rawRequest(t.url, {
      target: `BaldrApiService.${op}`,
      service: 'cloudhsm',
      body: JSON.stringify(hsmInput(op)),
      ...as('denied'),
    });
    expect(res.status).toBe(400);
    expect(res.body.__type).toBe('AccessDeniedException');
    expect(res.body.Message).toMatch(expected);
  });
});
