import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateMacCommand,
  UpdateAliasCommand,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import type { KMSClient, MacAlgorithmSpec } from '@aws-sdk/client-kms';
import { startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { expectError } from './helpers/errors.js';

let t: TestKmsd;
let kms: KMSClient;

beforeAll(async () => {
  t = await startKmsd();
  kms = t.kms();
});
afterAll(async () => t.close());

const SPECS = [
  ['HMAC_224', 'HMAC_SHA_224', 28],
  ['HMAC_256', 'HMAC_SHA_256', 32],
  ['HMAC_384', 'HMAC_SHA_384', 48],
  ['HMAC_512', 'HMAC_SHA_512', 64],
] as const;

async function hmacKey(spec: (typeof SPECS)[number][0]): Promise<{ KeyId: string; Arn: string }> {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC' }));
  if (!KeyMetadata?.KeyId || !KeyMetadata.Arn) throw new Error('CreateKey returned no key');
  return { KeyId: KeyMetadata.KeyId, Arn: KeyMetadata.Arn };
}

describe('HMAC keys', () => {
  it('generate and verify MACs of every spec; a wrong MAC is KMSInvalidMacException', async () => {
    const message = Buffer.from('message to authenticate');
    for (const [spec, algorithm, length] of SPECS) {
      const key = await hmacKey(spec);
      const md = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata;
      expect(md).toMatchObject({ KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC', MacAlgorithms: [algorithm] });
      expect(md?.EncryptionAlgorithms).toBeUndefined();
      const gen = await kms.send(new GenerateMacCommand({ KeyId: key.KeyId, MacAlgorithm: algorithm, Message: message }));
      expect(gen).toMatchObject({ KeyId: key.Arn, MacAlgorithm: algorithm });
      expect(gen.Mac).toHaveLength(length);
      const ok = await kms.send(new VerifyMacCommand({ KeyId: key.Arn, MacAlgorithm: algorithm, Message: message, Mac: gen.Mac }));
      expect(ok).toMatchObject({ KeyId: key.Arn, MacValid: true, MacAlgorithm: algorithm });
      const bad = Buffer.from(gen.Mac ?? new Uint8Array());
      bad[0] ^= 1;
      await expectError(
        kms.send(new VerifyMacCommand({ KeyId: key.KeyId, MacAlgorithm: algorithm, Message: message, Mac: bad })),
        'KMSInvalidMacException',
        400,
        'The MAC is not valid for the given message, key and algorithm.',
      );
    }
    // Two keys of the same spec have different material.
    const a = await hmacKey('HMAC_256');
    const b = await hmacKey('HMAC_256');
    const macA = await kms.send(new GenerateMacCommand({ KeyId: a.KeyId, MacAlgorithm: 'HMAC_SHA_256', Message: message }));
    await expectError(
      kms.send(new VerifyMacCommand({ KeyId: b.KeyId, MacAlgorithm: 'HMAC_SHA_256', Message: message, Mac: macA.Mac })),
      'KMSInvalidMacException',
      400,
      'The MAC is not valid for the given message, key and algorithm.',
    );
  });

  it('refuses wrong usages, algorithms, keys and states', async () => {
    await expectError(
      kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256' })),
      'ValidationException',
      400,
      'KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec HMAC_256',
    );
    await expectError(
      kms.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'GENERATE_VERIFY_MAC' })),
      'ValidationException',
      400,
      'KeyUsage GENERATE_VERIFY_MAC is not compatible with KeySpec SYMMETRIC_DEFAULT',
    );
    const key = await hmacKey('HMAC_384');
    const algorithm: MacAlgorithmSpec = 'HMAC_SHA_256';
    await expectError(
      kms.send(new GenerateMacCommand({ KeyId: key.KeyId, MacAlgorithm: algorithm, Message: Buffer.from('x') })),
      'InvalidKeyUsageException',
      400,
      'Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_384.',
    );
    await expectError(
      kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') })),
      'InvalidKeyUsageException',
      400,
      `${key.Arn} key usage is GENERATE_VERIFY_MAC which is not valid for this operation.`,
    );
    await expectError(
      kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId })),
      'UnsupportedOperationException',
      400,
      `${key.Arn} key spec is HMAC_384 which is not valid for this operation.`,
    );
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata;
    await expectError(
      kms.send(new GenerateMacCommand({ KeyId: symmetric?.KeyId ?? '', MacAlgorithm: 'HMAC_SHA_256', Message: Buffer.from('x') })),
      'InvalidKeyUsageException',
      400,
      `${symmetric?.Arn} key usage is ENCRYPT_DECRYPT which is not valid for this operation.`,
    );
    // An alias moves only between keys of the same type and usage.
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/mac', TargetKeyId: key.KeyId }));
    await kms.send(new UpdateAliasCommand({ AliasName: 'alias/mac', TargetKeyId: (await hmacKey('HMAC_256')).KeyId }));
    await expectError(
      kms.send(new UpdateAliasCommand({ AliasName: 'alias/mac', TargetKeyId: symmetric?.KeyId ?? '' })),
      'ValidationException',
      400,
      'alias/mac points to a HMAC_256 key with KeyUsage GENERATE_VERIFY_MAC; it cannot point to a SYMMETRIC_DEFAULT key with KeyUsage ENCRYPT_DECRYPT.',
    );
    await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    await expectError(
      kms.send(new GenerateMacCommand({ KeyId: key.KeyId, MacAlgorithm: 'HMAC_SHA_384', Message: Buffer.from('x') })),
      'DisabledException',
      409,
      `${key.Arn} is disabled.`,
    );
  });
});
