/**
 * KEY_AGREEMENT keys and DeriveSharedSecret, end to end through the JS SDK and /usr/bin/aws.
 * The shared secret is checked against node:crypto's ECDH computed from a peer private key
 * made here and the public key kmsd's GetPublicKey returns (independent of kmsd's code path).
 * Expected errors are those recorded from AWS KMS (LocalStack's test_derive_shared_secret).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import {
  CreateGrantCommand,
  CreateKeyCommand,
  DeriveSharedSecretCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  GetPublicKeyCommand,
  ListGrantsCommand,
  SignCommand,
} from '@aws-sdk/client-kms';
import type { KeySpec, KMSClient } from '@aws-sdk/client-kms';
import { awsCli, rawRequest, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';

let t: TestKmsd;
let kms: KMSClient;

beforeAll(async () => {
  t = await startKmsd();
  kms = t.kms();
});
afterAll(async () => t.close());

/** AWS's error name and exact message; the status is left to the serializer's own tests. */
async function expectAwsError(call: Promise<unknown>, name: string, message: string): Promise<void> {
  await expect(call).rejects.toMatchObject({ name, message });
}

async function agreementKey(KeySpec: KeySpec): Promise<{ KeyId: string; Arn: string }> {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec, KeyUsage: 'KEY_AGREEMENT' }));
  if (!KeyMetadata?.KeyId || !KeyMetadata.Arn) throw new Error('CreateKey returned no key');
  return { KeyId: KeyMetadata.KeyId, Arn: KeyMetadata.Arn };
}

async function kmsPublicKey(KeyId: string): Promise<Buffer> {
  const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId }));
  return Buffer.from(PublicKey ?? new Uint8Array());
}

const CURVES: { spec: KeySpec; nodeCurve: string; secretBytes: number }[] = [
  { spec: 'ECC_NIST_P256', nodeCurve: 'prime256v1', secretBytes: 32 },
  { spec: 'ECC_NIST_P384', nodeCurve: 'secp384r1', secretBytes: 48 },
  { spec: 'ECC_NIST_P521', nodeCurve: 'secp521r1', secretBytes: 66 },
];

describe('KEY_AGREEMENT keys', () => {
  it.each(CURVES)('$spec: DescribeKey and GetPublicKey list ECDH and no other algorithm', async ({ spec, nodeCurve }) => {
    const key = await agreementKey(spec);
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    expect(KeyMetadata).toMatchObject({ KeySpec: spec, KeyUsage: 'KEY_AGREEMENT', KeyAgreementAlgorithms: ['ECDH'] });
    expect(KeyMetadata?.SigningAlgorithms).toBeUndefined();
    expect(KeyMetadata?.EncryptionAlgorithms).toBeUndefined();
    const out = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
    expect(out).toMatchObject({ KeyId: key.Arn, KeySpec: spec, KeyUsage: 'KEY_AGREEMENT', KeyAgreementAlgorithms: ['ECDH'] });
    const publicKey = createPublicKey({ key: Buffer.from(out.PublicKey ?? new Uint8Array()), format: 'der', type: 'spki' });
    expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe(nodeCurve);
  });

  it('refuses KEY_AGREEMENT with a spec that has no ECDH, with the message recorded from AWS', async () => {
    await expectAwsError(
      kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'KEY_AGREEMENT' })),
      'ValidationException',
      'KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048',
    );
    // secp256k1 and Ed25519 are signing-only key specs in AWS KMS.
    for (const spec of ['ECC_SECG_P256K1', 'ECC_NIST_EDWARDS25519', 'ML_DSA_65', 'HMAC_256'] as const) {
      await expectAwsError(
        kms.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'KEY_AGREEMENT' })),
        'ValidationException',
        `KeyUsage KEY_AGREEMENT is not compatible with KeySpec ${spec}`,
      );
    }
  });

  it('a KEY_AGREEMENT key does not sign, and a grant on it may allow DeriveSharedSecret', async () => {
    const key = await agreementKey('ECC_NIST_P256');
    await expect(
      kms.send(new SignCommand({ KeyId: key.KeyId, Message: Buffer.from('m'), SigningAlgorithm: 'ECDSA_SHA_256' })),
    ).rejects.toMatchObject({ name: 'InvalidKeyUsageException' });
    await kms.send(
      new CreateGrantCommand({
        KeyId: key.KeyId,
        GranteePrincipal: 'arn:aws:iam::111122223333:role/peer',
        Operations: ['DeriveSharedSecret', 'GetPublicKey'],
      }),
    );
    const { Grants } = await kms.send(new ListGrantsCommand({ KeyId: key.KeyId }));
    expect(Grants?.[0]?.Operations).toEqual(['DeriveSharedSecret', 'GetPublicKey']);
  });
});

describe('DeriveSharedSecret', () => {
  it.each(CURVES)('$spec: equals the ECDH secret a peer computes locally with node:crypto', async ({ spec, nodeCurve, secretBytes }) => {
    const key = await agreementKey(spec);
    const peer = generateKeyPairSync('ec', { namedCurve: nodeCurve });
    const out = await kms.send(
      new DeriveSharedSecretCommand({
        KeyId: key.KeyId,
        KeyAgreementAlgorithm: 'ECDH',
        PublicKey: peer.publicKey.export({ format: 'der', type: 'spki' }),
      }),
    );
    const kmsSide = createPublicKey({ key: await kmsPublicKey(key.KeyId), format: 'der', type: 'spki' });
    const local = diffieHellman({ privateKey: peer.privateKey, publicKey: kmsSide });
    expect(local.length).toBe(secretBytes);
    expect(Buffer.from(out.SharedSecret ?? new Uint8Array())).toEqual(local);
    expect(out).toMatchObject({ KeyId: key.Arn, KeyAgreementAlgorithm: 'ECDH', KeyOrigin: 'AWS_KMS' });
    expect(out.CiphertextForRecipient).toBeUndefined();
  });

  it('two KMS keys derive the same secret from each other (as recorded from AWS), also through an alias-free ARN', async () => {
    const a = await agreementKey('ECC_NIST_P384');
    const b = await agreementKey('ECC_NIST_P384');
    const ab = await kms.send(
      new DeriveSharedSecretCommand({ KeyId: a.Arn, KeyAgreementAlgorithm: 'ECDH', PublicKey: await kmsPublicKey(b.KeyId) }),
    );
    const ba = await kms.send(
      new DeriveSharedSecretCommand({ KeyId: b.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: await kmsPublicKey(a.KeyId) }),
    );
    expect(ab.SharedSecret?.length).toBe(48);
    expect(Buffer.from(ab.SharedSecret ?? new Uint8Array())).toEqual(Buffer.from(ba.SharedSecret ?? new Uint8Array()));
  });

  it('refuses keys of another usage with the message recorded from AWS', async () => {
    const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' });
    const signing = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
    const symmetric = await kms.send(new CreateKeyCommand({}));
    for (const md of [signing.KeyMetadata, symmetric.KeyMetadata]) {
      await expectAwsError(
        kms.send(new DeriveSharedSecretCommand({ KeyId: md?.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peer })),
        'InvalidKeyUsageException',
        `${md?.Arn} key usage is ${md?.KeyUsage} which is not valid for DeriveSharedSecret.`,
      );
    }
  });

  it('refuses an unknown algorithm, a malformed public key and a key on another curve', async () => {
    const key = await agreementKey('ECC_NIST_P256');
    const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' });
    await expectAwsError(
      kms.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: 'INVALID' as 'ECDH', PublicKey: peer })),
      'ValidationException',
      "1 validation error detected: Value 'INVALID' at 'keyAgreementAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [ECDH]",
    );
    // AWS answers a public key it cannot parse with a ValidationException without text; on the
    // wire that is an empty (or absent) message, which the SDK shows as "UnknownError".
    const raw = await rawRequest(t.url, {
      target: 'TrentService.DeriveSharedSecret',
      body: JSON.stringify({
        KeyId: key.KeyId,
        KeyAgreementAlgorithm: 'ECDH',
        PublicKey: Buffer.from('InvalidPublicKey').toString('base64'),
      }),
    });
    expect(raw.status).toBe(400);
    expect(raw.body.__type).toBe('ValidationException');
    expect(raw.body.message ?? '').toBe('');
    const truncated = peer.subarray(0, peer.length - 1);
    await expect(
      kms.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: truncated })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    const otherCurves = [
      generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey,
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
      generateKeyPairSync('x25519').publicKey,
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey,
    ];
    for (const other of otherCurves) {
      await expectAwsError(
        kms.send(
          new DeriveSharedSecretCommand({
            KeyId: key.KeyId,
            KeyAgreementAlgorithm: 'ECDH',
            PublicKey: other.export({ format: 'der', type: 'spki' }),
          }),
        ),
        'ValidationException',
        'The public key must be on the same elliptic curve as ECC_NIST_P256.',
      );
    }
  });

  it('refuses a point that is not on the curve', async () => {
    const key = await agreementKey('ECC_NIST_P256');
    const spki = Buffer.from(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' }));
    spki[spki.length - 1] ^= 1; // y changed: (x, y') is not on P-256
    await expect(
      kms.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: spki })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('DryRun answers DryRunOperationException after the checks; a disabled key is refused first', async () => {
    const key = await agreementKey('ECC_NIST_P521');
    const peer = generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).publicKey.export({ format: 'der', type: 'spki' });
    await expectAwsError(
      kms.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peer, DryRun: true })),
      'DryRunOperationException',
      'The request would have succeeded, but the DryRun option is set.',
    );
    await expect(
      kms.send(
        new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: Buffer.from('x'), DryRun: true }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    await expectAwsError(
      kms.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peer })),
      'DisabledException',
      `${key.Arn} is disabled.`,
    );
  });

  it('refuses Recipient: an AWS Nitro attestation document cannot be verified outside AWS', async () => {
    const key = await agreementKey('ECC_NIST_P256');
    const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' });
    await expectAwsError(
      kms.send(
        new DeriveSharedSecretCommand({
          KeyId: key.KeyId,
          KeyAgreementAlgorithm: 'ECDH',
          PublicKey: peer,
          Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: Buffer.from('not a COSE_Sign1 document') },
        }),
      ),
      'ValidationException',
      'The attestation document in Recipient is not valid: kmsd cannot verify AWS Nitro attestation.',
    );
  });

  it('accepts GrantTokens', async () => {
    const key = await agreementKey('ECC_NIST_P256');
    const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const { GrantToken } = await kms.send(
      new CreateGrantCommand({
        KeyId: key.KeyId,
        GranteePrincipal: 'arn:aws:iam::111122223333:role/peer',
        Operations: ['DeriveSharedSecret'],
      }),
    );
    const out = await kms.send(
      new DeriveSharedSecretCommand({
        KeyId: key.KeyId,
        KeyAgreementAlgorithm: 'ECDH',
        PublicKey: peer.publicKey.export({ format: 'der', type: 'spki' }),
        GrantTokens: [GrantToken ?? ''],
      }),
    );
    const kmsSide = createPublicKey({ key: await kmsPublicKey(key.KeyId), format: 'der', type: 'spki' });
    expect(Buffer.from(out.SharedSecret ?? new Uint8Array())).toEqual(diffieHellman({ privateKey: peer.privateKey, publicKey: kmsSide }));
  });
});

describe('/usr/bin/aws (2.9.19 predates KEY_AGREEMENT, but passes enum values through)', () => {
  it('creates a KEY_AGREEMENT key and downloads its public key; the secret matches', async () => {
    const created = await awsCli(t.url, ['kms', 'create-key', '--key-spec', 'ECC_NIST_P256', '--key-usage', 'KEY_AGREEMENT']);
    expect(created.code, created.stderr).toBe(0);
    const md = (created.json as { KeyMetadata: { KeyId: string; KeyUsage: string } }).KeyMetadata;
    expect(md.KeyUsage).toBe('KEY_AGREEMENT');
    const pub = await awsCli(t.url, ['kms', 'get-public-key', '--key-id', md.KeyId]);
    expect(pub.code, pub.stderr).toBe(0);
    const cliPublicKey = Buffer.from((pub.json as { PublicKey: string }).PublicKey, 'base64');
    const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const out = await kms.send(
      new DeriveSharedSecretCommand({
        KeyId: md.KeyId,
        KeyAgreementAlgorithm: 'ECDH',
        PublicKey: peer.publicKey.export({ format: 'der', type: 'spki' }),
      }),
    );
    const local = diffieHellman({
      privateKey: peer.privateKey,
      publicKey: createPublicKey({ key: cliPublicKey, format: 'der', type: 'spki' }),
    });
    expect(Buffer.from(out.SharedSecret ?? new Uint8Array())).toEqual(local);
  });
});
