/**
 * AWS KMS quotas, each set small in the configuration file so the limit is reached: resource
 * quotas (LimitExceededException / TagException) always, request quotas (ThrottlingException)
 * only with enforceRequestQuotas (`kmsd serve --enforce-request-quotas`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateAliasCommand,
  CreateCustomKeyStoreCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateRandomCommand,
  ListAliasesCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { defaultConfig } from '../src/config.js';
import type { KmsdConfig } from '../src/config.js';
import { expectError } from './helpers/errors.js';
import { FakeClusters, makeTrustChain } from './helpers/fake-clusters.js';
import { DEV, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';

const GRANTEE = `arn:aws:iam::${DEV.accountId}:user/grantee`;
const THROTTLED = 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.';

/** A valid key policy (the account may do everything, so it passes the lockout check) of exactly n bytes. */
function policyOfBytes(n: number): string {
  const policy = (id: string) =>
    JSON.stringify({
      Version: '2012-10-17',
      Id: id,
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }],
    });
  return policy('x'.repeat(n - policy('').length));
}

describe('resource quotas from the configuration file', () => {
  let t: TestKmsd;
  let kms: KMSClient;
  const clusters = new FakeClusters();
  const config: KmsdConfig = {
    ...defaultConfig(),
    quotas: { keysPerRegion: 3, aliasesPerKey: 2, grantsPerKey: 2, customKeyStoresPerRegion: 1, keyPolicyBytes: 300, tagsPerKey: 3 },
  };

  beforeAll(async () => {
    t = await startKmsd({ config, clusters, keyStoreTransitionMs: 0 });
    kms = t.kms();
  });
  afterAll(async () => {
    await t.close();
  });

  it('keys per account and Region: every key counts, pending deletion too; other Regions have their own', async () => {
    const kmsWest = t.kms({ region: 'eu-west-1' });
    const first = await kmsWest.send(new CreateKeyCommand({}));
    await kmsWest.send(new CreateKeyCommand({}));
    await kmsWest.send(new ScheduleKeyDeletionCommand({ KeyId: first.KeyMetadata?.KeyId, PendingWindowInDays: 7 }));
    await kmsWest.send(new CreateKeyCommand({}));
    await expectError(
      kmsWest.send(new CreateKeyCommand({})),
      'LimitExceededException',
      400,
      'The request would exceed the quota of 3 KMS keys in this account and Region.',
    );
    // us-east-1 is a separate quota.
    expect((await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyState).toBe('Enabled');
  });

  it('aliases per key, on CreateAlias and UpdateAlias', async () => {
    const kmsAliases = t.kms({ region: 'ap-south-1' });
    const a = (await kmsAliases.send(new CreateKeyCommand({}))).KeyMetadata;
    const b = (await kmsAliases.send(new CreateKeyCommand({}))).KeyMetadata;
    await kmsAliases.send(new CreateAliasCommand({ AliasName: 'alias/a1', TargetKeyId: a?.KeyId }));
    await kmsAliases.send(new CreateAliasCommand({ AliasName: 'alias/a2', TargetKeyId: a?.KeyId }));
    const full = `The request would exceed the quota of 2 aliases for ${a?.Arn}.`;
    await expectError(
      kmsAliases.send(new CreateAliasCommand({ AliasName: 'alias/a3', TargetKeyId: a?.KeyId })),
      'LimitExceededException',
      400,
      full,
    );
    await kmsAliases.send(new CreateAliasCommand({ AliasName: 'alias/b1', TargetKeyId: b?.KeyId }));
    await expectError(
      kmsAliases.send(new UpdateAliasCommand({ AliasName: 'alias/b1', TargetKeyId: a?.KeyId })),
      'LimitExceededException',
      400,
      full,
    );
    // Repointing an alias at the key it already names is no new alias.
    await kmsAliases.send(new UpdateAliasCommand({ AliasName: 'alias/a1', TargetKeyId: a?.KeyId }));
    const aliases = (await kmsAliases.send(new ListAliasesCommand({ KeyId: b?.KeyId }))).Aliases ?? [];
    expect(aliases.map((x) => x.AliasName)).toEqual(['alias/b1']);
  });

  it('grants per key', async () => {
    const kms = t.kms({ region: 'us-east-2' });
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata;
    for (let i = 0; i < 2; i++) {
      await kms.send(new CreateGrantCommand({ KeyId: key?.KeyId, GranteePrincipal: GRANTEE, Operations: ['Decrypt'] }));
    }
    await expectError(
      kms.send(new CreateGrantCommand({ KeyId: key?.KeyId, GranteePrincipal: GRANTEE, Operations: ['Decrypt'] })),
      'LimitExceededException',
      400,
      `The request would exceed the limit of 2 grants for ${key?.Arn}.`,
    );
  });

  it('key policy size in bytes, on CreateKey and PutKeyPolicy, changing nothing', async () => {
    const kmsPolicy = t.kms({ region: 'sa-east-1' });
    const key = (await kmsPolicy.send(new CreateKeyCommand({ Policy: policyOfBytes(300) }))).KeyMetadata;
    await expectError(
      kmsPolicy.send(new CreateKeyCommand({ Policy: policyOfBytes(301) })),
      'LimitExceededException',
      400,
      'The key policy exceeds the maximum size of 300 bytes.',
    );
    await expectError(
      kmsPolicy.send(new PutKeyPolicyCommand({ KeyId: key?.KeyId, PolicyName: 'default', Policy: policyOfBytes(301) })),
      'LimitExceededException',
      400,
      'The key policy exceeds the maximum size of 300 bytes.',
    );
  });

  it('tags per key: "Too many tags", counting tags already on the key', async () => {
    const kms = t.kms({ region: 'us-west-1' });
    const key = (await kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'a', TagValue: '1' }] }))).KeyMetadata;
    await kms.send(new TagResourceCommand({ KeyId: key?.KeyId, Tags: [{ TagKey: 'b', TagValue: '2' }] }));
    // Replacing a value adds no tag.
    await kms.send(new TagResourceCommand({ KeyId: key?.KeyId, Tags: [{ TagKey: 'a', TagValue: '3' }] }));
    await expectError(
      kms.send(
        new TagResourceCommand({
          KeyId: key?.KeyId,
          Tags: [
            { TagKey: 'c', TagValue: '3' },
            { TagKey: 'd', TagValue: '4' },
          ],
        }),
      ),
      'TagException',
      400,
      'Too many tags',
    );
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: key?.KeyId }))).Tags?.map((x) => x.TagKey)).toEqual(['a', 'b']);
  });

  it('custom key stores per account and Region', async () => {
    const create = async (name: string) => {
      const clusterId = name === 'one' ? 'cluster-aaaaaaaaaaa' : 'cluster-bbbbbbbbbbb';
      const chain = await makeTrustChain(clusterId);
      clusters.addCluster(clusterId, chain);
      return kms.send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: name,
          CloudHsmClusterId: clusterId,
          TrustAnchorCertificate: chain.trustAnchorPem,
          KeyStorePassword: 'kmsPswd1',
        }),
      );
    };
    expect((await create('one')).CustomKeyStoreId).toMatch(/^cks-/);
    await expectError(
      create('two'),
      'LimitExceededException',
      400,
      'Cannot create the custom key store: the account already has the maximum of 1 custom key stores in this Region.',
    );
  });

  it('request quotas are not enforced unless asked for', async () => {
    const kms = t.kms({ region: 'ca-central-1' });
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata;
    for (let i = 0; i < 5; i++) await kms.send(new DescribeKeyCommand({ KeyId: key?.KeyId }));
  });
});

describe('request quotas with enforceRequestQuotas (kmsd serve --enforce-request-quotas)', () => {
  let t: TestKmsd;
  let kms: KMSClient;
  // One request per 1000 s: the second request within the same service-clock second is refused,
  // whatever the machine's speed; moving the service clock refills the bucket.
  const slow = 0.001;
  const config: KmsdConfig = {
    ...defaultConfig(),
    quotas: {
      requestsPerSecond: {
        cryptographicSymmetric: slow,
        cryptographicRsa: slow,
        cryptographicEcc: slow,
        operations: { DescribeKey: slow },
      },
    },
  };

  beforeAll(async () => {
    t = await startKmsd({ config, enforceRequestQuotas: true });
    kms = t.kms();
  });
  afterAll(async () => {
    await t.close();
  });

  it('a management operation has its own quota; the bucket refills on the service clock', async () => {
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata;
    await kms.send(new DescribeKeyCommand({ KeyId: key?.KeyId }));
    await expectError(kms.send(new DescribeKeyCommand({ KeyId: key?.KeyId })), 'ThrottlingException', 400, THROTTLED);
    // CreateKey keeps AWS's default quota (50 per second).
    await kms.send(new CreateKeyCommand({}));
    await t.advanceClock(1000);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: key?.KeyId }))).KeyMetadata?.KeyId).toBe(key?.KeyId);
  });

  it('cryptographic operations share the quota of their key type: symmetric, RSA, ECC', async () => {
    await t.advanceClock(1000);
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata;
    const rsa = (await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata;
    const ecc = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata;
    await kms.send(new EncryptCommand({ KeyId: symmetric?.KeyId, Plaintext: Buffer.from('x') }));
    // Encrypt and GenerateRandom count against the same symmetric quota.
    await expectError(kms.send(new GenerateRandomCommand({ NumberOfBytes: 8 })), 'ThrottlingException', 400, THROTTLED);
    await expectError(
      kms.send(new EncryptCommand({ KeyId: symmetric?.KeyId, Plaintext: Buffer.from('x') })),
      'ThrottlingException',
      400,
      THROTTLED,
    );
    // RSA and ECC keys have quotas of their own, untouched by the symmetric requests.
    const sign = (keyId: string | undefined, algorithm: 'RSASSA_PSS_SHA_256' | 'ECDSA_SHA_256') =>
      kms.send(new SignCommand({ KeyId: keyId, Message: Buffer.from('m'), SigningAlgorithm: algorithm }));
    await sign(rsa?.KeyId, 'RSASSA_PSS_SHA_256');
    await sign(ecc?.KeyId, 'ECDSA_SHA_256');
    await expectError(sign(rsa?.KeyId, 'RSASSA_PSS_SHA_256'), 'ThrottlingException', 400, THROTTLED);
    await expectError(sign(ecc?.KeyId, 'ECDSA_SHA_256'), 'ThrottlingException', 400, THROTTLED);
  });
});
