/**
 * Imported key material (origin EXTERNAL) end to end: AWS's openssl recipe for every wrapping
 * algorithm, then the key used through the SDK and /usr/bin/aws; re-import, wrong material,
 * tokens, expiry on the service clock, on-demand rotation of imported material. HMAC and
 * asymmetric imports are checked against MACs and signatures computed locally from the
 * material that was imported. Expected messages are those recorded from AWS where a
 * recording exists (LocalStack's AWS-validated snapshots), else kmsd's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constants, createHmac, createPublicKey, publicEncrypt, randomBytes, verify } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateMacCommand,
  GetParametersForImportCommand,
  GetPublicKeyCommand,
  ImportKeyMaterialCommand,
  ListKeyRotationsCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import type { CreateKeyCommandInput, ImportKeyMaterialCommandInput, KMSClient } from '@aws-sdk/client-kms';
import { awsCli, removeDir, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { OpensslWorkspace } from './helpers/openssl.js';
import { opensslPrivateKey, wrapForImport } from './helpers/import-openssl.js';
import type { WrappingAlgorithm } from './helpers/import-openssl.js';

let t: TestKmsd;
let kms: KMSClient;
const ws = new OpensslWorkspace();

beforeAll(async () => {
  t = await startKmsd();
  kms = t.kms();
});
afterAll(async () => {
  await t.close();
  rmSync(ws.dir, { recursive: true, force: true });
});

/** Error name and exact message; the HTTP status is being aligned with AWS's 400 elsewhere. */
async function expectFailure(call: Promise<unknown>, name: string, message?: string): Promise<void> {
  await expect(call).rejects.toMatchObject(message === undefined ? { name } : { name, message });
}

async function externalKey(input: CreateKeyCommandInput = {}): Promise<{ KeyId: string; Arn: string }> {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL', ...input }));
  if (!KeyMetadata?.KeyId || !KeyMetadata.Arn) throw new Error('CreateKey returned no key');
  return { KeyId: KeyMetadata.KeyId, Arn: KeyMetadata.Arn };
}

/** GetParametersForImport, wrap with openssl, ImportKeyMaterial. */
async function importMaterial(
  keyId: string,
  material: Buffer,
  options: { algorithm?: WrappingAlgorithm; spec?: 'RSA_2048' | 'RSA_3072' | 'RSA_4096' } & Partial<ImportKeyMaterialCommandInput> = {},
) {
  const { algorithm = 'RSAES_OAEP_SHA_256', spec = 'RSA_2048', ...rest } = options;
  const params = await kms.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: spec }));
  if (!params.PublicKey || !params.ImportToken) throw new Error('GetParametersForImport returned no parameters');
  const encrypted = await wrapForImport(ws, params.PublicKey, material, algorithm);
  return kms.send(
    new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: params.ImportToken,
      EncryptedKeyMaterial: encrypted,
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      ...rest,
    }),
  );
}

async function roundTrip(keyId: string): Promise<void> {
  const plaintext = Buffer.from(`secret for ${keyId}`);
  const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: { purpose: 'import-test' } }));
  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { purpose: 'import-test' } }));
  expect(Buffer.from(dec.Plaintext ?? []).equals(plaintext)).toBe(true);
}

describe('symmetric keys with imported material', () => {
  it('is created PendingImport, without material, as AWS shows it', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL', Description: 'imported' }));
    expect(KeyMetadata).toMatchObject({
      Origin: 'EXTERNAL',
      KeyState: 'PendingImport',
      Enabled: false,
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    });
    expect(KeyMetadata?.CurrentKeyMaterialId).toBeUndefined();
    expect(KeyMetadata?.ExpirationModel).toBeUndefined();
    await expectFailure(
      kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('x') })),
      'KMSInvalidStateException',
      `${KeyMetadata?.Arn} is pending import.`,
    );
    await expectFailure(
      kms.send(new EnableKeyCommand({ KeyId: KeyMetadata?.KeyId })),
      'KMSInvalidStateException',
      `${KeyMetadata?.Arn} is pending import.`,
    );
  });

  const cases: [WrappingAlgorithm, 'RSA_2048' | 'RSA_3072' | 'RSA_4096'][] = [
    ['RSAES_OAEP_SHA_1', 'RSA_2048'],
    ['RSAES_OAEP_SHA_256', 'RSA_3072'],
    ['RSA_AES_KEY_WRAP_SHA_1', 'RSA_2048'],
    ['RSA_AES_KEY_WRAP_SHA_256', 'RSA_4096'],
  ];
  it.each(cases)('imports 256-bit material wrapped with %s / %s by openssl, then encrypts and decrypts', async (algorithm, spec) => {
    const key = await externalKey();
    const params = await kms.send(
      new GetParametersForImportCommand({ KeyId: key.KeyId, WrappingAlgorithm: algorithm, WrappingKeySpec: spec }),
    );
    expect(params.KeyId).toBe(key.Arn);
    const wrappingKey = createPublicKey({ key: Buffer.from(params.PublicKey ?? []), format: 'der', type: 'spki' });
    expect(wrappingKey.asymmetricKeyDetails?.modulusLength).toBe(Number(spec.slice(4)));
    // Valid for 24 hours on the service clock.
    expect(Math.abs((params.ParametersValidTo?.getTime() ?? 0) - t.serviceNow().getTime() - 24 * 3600 * 1000)).toBeLessThan(60_000);

    const encrypted = await wrapForImport(ws, params.PublicKey ?? new Uint8Array(), randomBytes(32), algorithm);
    const imported = await kms.send(
      new ImportKeyMaterialCommand({
        KeyId: key.KeyId,
        ImportToken: params.ImportToken,
        EncryptedKeyMaterial: encrypted,
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }),
    );
    expect(imported.KeyId).toBe(key.Arn);
    expect(imported.KeyMaterialId).toMatch(/^[a-f0-9]{64}$/);
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    expect(KeyMetadata).toMatchObject({
      KeyState: 'Enabled',
      Enabled: true,
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      CurrentKeyMaterialId: imported.KeyMaterialId,
    });
    expect(KeyMetadata?.ValidTo).toBeUndefined();
    await roundTrip(key.KeyId);
  });

  it('deletes the material (PendingImport, ciphertexts refused) and takes the same material again, not another', async () => {
    const key = await externalKey();
    const material = randomBytes(32);
    const first = await importMaterial(key.KeyId, material);
    const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('kept across re-import') }));

    const deleted = await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
    expect(deleted).toMatchObject({ KeyId: key.Arn, KeyMaterialId: first.KeyMaterialId });
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    // Recorded from AWS: CurrentKeyMaterialId stays, ExpirationModel goes.
    expect(KeyMetadata).toMatchObject({ KeyState: 'PendingImport', Enabled: false, CurrentKeyMaterialId: first.KeyMaterialId });
    expect(KeyMetadata?.ExpirationModel).toBeUndefined();
    await expectFailure(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })),
      'KMSInvalidStateException',
      `${key.Arn} is pending import.`,
    );
    // Deleting again changes nothing.
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));

    await expectFailure(
      importMaterial(key.KeyId, randomBytes(32)),
      'IncorrectKeyMaterialException',
      `The key material is not the key material previously imported into ${key.Arn}.`,
    );
    expect((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState).toBe('PendingImport');

    const again = await importMaterial(key.KeyId, material, { algorithm: 'RSA_AES_KEY_WRAP_SHA_256', spec: 'RSA_4096' });
    expect(again.KeyMaterialId).toBe(first.KeyMaterialId);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? []).toString()).toBe('kept across re-import');
  });

  it('refuses material of the wrong length, a wrong wrapping, and expiry without ValidTo', async () => {
    const key = await externalKey();
    await expectFailure(
      importMaterial(key.KeyId, randomBytes(16)),
      'IncorrectKeyMaterialException',
      'The key material is not valid for a SYMMETRIC_DEFAULT KMS key: it must be 256 bits (32 bytes).',
    );
    const params = await kms.send(
      new GetParametersForImportCommand({ KeyId: key.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
    );
    // Wrapped with OAEP SHA-1 although the parameters say SHA-256.
    const wrongHash = await wrapForImport(ws, params.PublicKey ?? new Uint8Array(), randomBytes(32), 'RSAES_OAEP_SHA_1');
    await expectFailure(
      kms.send(
        new ImportKeyMaterialCommand({
          KeyId: key.KeyId,
          ImportToken: params.ImportToken,
          EncryptedKeyMaterial: wrongHash,
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      ),
      'InvalidCiphertextException',
    );
    const good = await wrapForImport(ws, params.PublicKey ?? new Uint8Array(), randomBytes(32), 'RSAES_OAEP_SHA_256');
    // The recorded AWS answer: the default ExpirationModel is KEY_MATERIAL_EXPIRES, which needs ValidTo.
    await expectFailure(
      kms.send(new ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken: params.ImportToken, EncryptedKeyMaterial: good })),
      'ValidationException',
      'A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES',
    );
    const described = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata;
    expect(described?.KeyState).toBe('PendingImport');
    expect(described?.CurrentKeyMaterialId).toBeUndefined();
  });

  it('refuses a token of another key and a forged token', async () => {
    const a = await externalKey();
    const b = await externalKey();
    const params = await kms.send(
      new GetParametersForImportCommand({ KeyId: a.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
    );
    const encrypted = await wrapForImport(ws, params.PublicKey ?? new Uint8Array(), randomBytes(32), 'RSAES_OAEP_SHA_256');
    const send = (keyId: string, token: Uint8Array | undefined) =>
      kms.send(
        new ImportKeyMaterialCommand({
          KeyId: keyId,
          ImportToken: token,
          EncryptedKeyMaterial: encrypted,
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      );
    await expectFailure(send(b.KeyId, params.ImportToken), 'InvalidImportTokenException', `The import token is not valid for ${b.Arn}.`);
    const forged = Buffer.from(params.ImportToken ?? []);
    forged[20] ^= 1; // a later validity date
    await expectFailure(send(a.KeyId, forged), 'InvalidImportTokenException', `The import token is not valid for ${a.Arn}.`);
    await expectFailure(
      send(a.KeyId, Buffer.from('not a token')),
      'InvalidImportTokenException',
      `The import token is not valid for ${a.Arn}.`,
    );
    await send(a.KeyId, params.ImportToken);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: a.KeyId }))).KeyMetadata?.KeyState).toBe('Enabled');
  });

  it('answers AWS errors for keys that cannot take imported material', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const args = { KeyId: KeyMetadata?.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256' as const, WrappingKeySpec: 'RSA_2048' as const };
    await expectFailure(
      kms.send(new GetParametersForImportCommand(args)),
      'UnsupportedOperationException',
      `${KeyMetadata?.Arn} origin is AWS_KMS which is not valid for this operation.`,
    );
    await expectFailure(
      kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: KeyMetadata?.KeyId })),
      'UnsupportedOperationException',
      `${KeyMetadata?.Arn} origin is AWS_KMS which is not valid for this operation.`,
    );
    const ext = await externalKey();
    // Nothing imported yet: no effect (key-state table).
    const nothing = await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: ext.KeyId }));
    expect(nothing.KeyId).toBe(ext.Arn);
    expect(nothing.KeyMaterialId).toBeUndefined();
    await expectFailure(
      kms.send(new GetParametersForImportCommand({ KeyId: ext.KeyId, WrappingAlgorithm: 'RSAES_PKCS1_V1_5', WrappingKeySpec: 'RSA_2048' })),
      'ValidationException',
      'The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported; use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256.',
    );
    await expectFailure(
      kms.send(new GetParametersForImportCommand({ KeyId: ext.KeyId, WrappingAlgorithm: 'SM2PKE', WrappingKeySpec: 'SM2' })),
      'UnsupportedOperationException',
      'The SM2 wrapping key spec and SM2PKE wrapping algorithm are available only in China Regions.',
    );
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: ext.KeyId, PendingWindowInDays: 7 }));
    await expectFailure(
      kms.send(new GetParametersForImportCommand({ ...args, KeyId: ext.KeyId })),
      'KMSInvalidStateException',
      `${ext.Arn} is pending deletion.`,
    );
    await kms.send(new CancelKeyDeletionCommand({ KeyId: ext.KeyId }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: ext.KeyId }))).KeyMetadata?.KeyState).toBe('PendingImport');
    // Like any key without its material: the import enables it.
    await importMaterial(ext.KeyId, randomBytes(32));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: ext.KeyId }))).KeyMetadata?.KeyState).toBe('Enabled');
  });
});

describe('on-demand rotation of imported material', () => {
  it('imports new material, rotates to it, keeps old ciphertexts and lists the import states', async () => {
    const key = await externalKey();
    await expectFailure(
      kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId })),
      'KMSInvalidStateException',
      `${key.Arn} is pending import.`,
    );
    const first = await importMaterial(key.KeyId, randomBytes(32), { KeyMaterialDescription: 'first material' });
    await expectFailure(
      kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId })),
      'KMSInvalidStateException',
      `No available key material pending rotation for the key: ${key.Arn}.`,
    );
    const c1 = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('one') }));
    const second = await importMaterial(key.KeyId, randomBytes(32), { ImportType: 'NEW_KEY_MATERIAL' });
    expect(second.KeyMaterialId).not.toBe(first.KeyMaterialId);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.CurrentKeyMaterialId).toBe(first.KeyMaterialId);

    const third = randomBytes(32);
    const error = await importMaterial(key.KeyId, third, { ImportType: 'NEW_KEY_MATERIAL' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'KMSInvalidStateException' });
    // AWS's recorded text, naming the refused material's id, the key ARN and the pending material.
    expect((error as Error).message).toMatch(
      new RegExp(
        `^New key material \\(id: [a-f0-9]{64}\\) cannot be imported into KMS key ${key.Arn}, because another key material \\(id: ${second.KeyMaterialId}\\) is pending rotation\\.$`,
      ),
    );

    const all = await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }));
    expect(all.Rotations).toEqual([
      {
        KeyId: key.KeyId,
        KeyMaterialId: first.KeyMaterialId,
        KeyMaterialDescription: 'first material',
        KeyMaterialState: 'CURRENT',
        ImportState: 'IMPORTED',
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      },
      {
        KeyId: key.KeyId,
        KeyMaterialId: second.KeyMaterialId,
        KeyMaterialState: 'PENDING_ROTATION',
        ImportState: 'IMPORTED',
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      },
    ]);

    expect((await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }))).KeyId).toBe(key.Arn);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.CurrentKeyMaterialId).toBe(second.KeyMaterialId);
    const c2 = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('two') }));
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: c2.CiphertextBlob }))).KeyMaterialId).toBe(second.KeyMaterialId);
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: c1.CiphertextBlob }))).KeyMaterialId).toBe(first.KeyMaterialId);
    const rotations = await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId }));
    expect(rotations.Rotations).toMatchObject([
      { KeyMaterialId: second.KeyMaterialId, KeyMaterialState: 'CURRENT', ImportState: 'IMPORTED', RotationType: 'ON_DEMAND' },
    ]);

    // Deleting the old material makes the whole key PendingImport until it is imported again.
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId, KeyMaterialId: first.KeyMaterialId }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState).toBe('PendingImport');
    const listed = await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }));
    expect(listed.Rotations?.[0]).toMatchObject({
      KeyMaterialId: first.KeyMaterialId,
      ImportState: 'PENDING_IMPORT',
      KeyMaterialState: 'NON_CURRENT',
    });
  });

  it('re-imports one named material version and refuses a KeyMaterialId that does not match', async () => {
    const key = await externalKey();
    const material = randomBytes(32);
    const first = await importMaterial(key.KeyId, material);
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
    const other = 'a'.repeat(64);
    await expectFailure(
      importMaterial(key.KeyId, material, { ImportType: 'EXISTING_KEY_MATERIAL', KeyMaterialId: other }),
      'IncorrectKeyMaterialException',
      `The key material is not the key material previously imported into ${key.Arn}.`,
    );
    const again = await importMaterial(key.KeyId, material, { ImportType: 'EXISTING_KEY_MATERIAL', KeyMaterialId: first.KeyMaterialId });
    expect(again.KeyMaterialId).toBe(first.KeyMaterialId);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState).toBe('Enabled');
  });
});

describe('HMAC and asymmetric keys with imported material', () => {
  it.each([
    ['HMAC_224', 'HMAC_SHA_224', 'sha224', 28],
    ['HMAC_256', 'HMAC_SHA_256', 'sha256', 32],
    ['HMAC_384', 'HMAC_SHA_384', 'sha384', 48],
    ['HMAC_512', 'HMAC_SHA_512', 'sha512', 64],
  ] as const)('%s: the MAC equals one computed locally with the imported key', async (spec, algorithm, hash, bytes) => {
    const key = await externalKey({ KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC' });
    const material = randomBytes(bytes);
    await importMaterial(key.KeyId, material, { spec: 'RSA_3072' });
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    expect(KeyMetadata).toMatchObject({ KeyState: 'Enabled', ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', MacAlgorithms: [algorithm] });
    expect(KeyMetadata?.CurrentKeyMaterialId).toBeUndefined(); // as recorded from AWS
    const message = Buffer.from('mac me');
    const { Mac } = await kms.send(new GenerateMacCommand({ KeyId: key.KeyId, MacAlgorithm: algorithm, Message: message }));
    expect(Buffer.from(Mac ?? []).equals(createHmac(hash, material).update(message).digest())).toBe(true);
  });

  it('refuses HMAC material shorter than the hash', async () => {
    const key = await externalKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await expectFailure(
      importMaterial(key.KeyId, randomBytes(16)),
      'IncorrectKeyMaterialException',
      'The key material is not valid for a HMAC_256 KMS key: it must be 32 to 64 bytes long.',
    );
  });

  it.each([
    [
      'ECC_NIST_P256',
      ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      'ECDSA_SHA_256',
      'sha256',
      'RSAES_OAEP_SHA_256',
      'RSA_2048',
    ],
    [
      'ECC_NIST_P521',
      ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
      'ECDSA_SHA_512',
      'sha512',
      'RSAES_OAEP_SHA_256',
      'RSA_4096',
    ],
    [
      'ECC_SECG_P256K1',
      ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'],
      'ECDSA_SHA_256',
      'sha256',
      'RSA_AES_KEY_WRAP_SHA_1',
      'RSA_2048',
    ],
    [
      'RSA_2048',
      ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
      'RSASSA_PKCS1_V1_5_SHA_256',
      'sha256',
      'RSA_AES_KEY_WRAP_SHA_256',
      'RSA_3072',
    ],
    ['ECC_NIST_EDWARDS25519', ['-algorithm', 'ED25519'], 'ED25519_SHA_512', null, 'RSAES_OAEP_SHA_1', 'RSA_2048'],
  ] as const)(
    '%s: kmsd signs with the imported private key (verified locally)',
    async (spec, genpkey, algorithm, hash, wrapping, wrappingSpec) => {
      const key = await externalKey({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' });
      const { der, pem } = await opensslPrivateKey(ws, [...genpkey]);
      await importMaterial(key.KeyId, der, { algorithm: wrapping, spec: wrappingSpec });
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
      expect(KeyMetadata).toMatchObject({ KeyState: 'Enabled', ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
      expect(KeyMetadata?.CurrentKeyMaterialId).toBeUndefined();
      const localPublic = createPublicKey(pem);
      const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
      expect(Buffer.from(PublicKey ?? []).equals(localPublic.export({ format: 'der', type: 'spki' }))).toBe(true);
      const message = Buffer.from('sign me');
      const { Signature } = await kms.send(
        new SignCommand({ KeyId: key.KeyId, Message: message, MessageType: 'RAW', SigningAlgorithm: algorithm }),
      );
      expect(verify(hash, message, localPublic, Buffer.from(Signature ?? []))).toBe(true);
      const verified = await kms.send(
        new VerifyCommand({ KeyId: key.KeyId, Message: message, MessageType: 'RAW', SigningAlgorithm: algorithm, Signature }),
      );
      expect(verified.SignatureValid).toBe(true);
    },
  );

  it('RSA_2048 ENCRYPT_DECRYPT: kmsd decrypts what the imported key pair encrypts locally', async () => {
    const key = await externalKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    const { der, pem } = await opensslPrivateKey(ws, ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
    await importMaterial(key.KeyId, der, { algorithm: 'RSA_AES_KEY_WRAP_SHA_1', spec: 'RSA_4096' });
    const plaintext = Buffer.from('for the imported RSA key');
    const ciphertext = publicEncrypt(
      { key: createPublicKey(pem), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      plaintext,
    );
    const { Plaintext } = await kms.send(
      new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: ciphertext, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
    );
    expect(Buffer.from(Plaintext ?? []).equals(plaintext)).toBe(true);
  });

  it('refuses a private key of another spec, another private key on re-import, and new material', async () => {
    const key = await externalKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const p384 = await opensslPrivateKey(ws, ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']);
    await expectFailure(
      importMaterial(key.KeyId, p384.der),
      'IncorrectKeyMaterialException',
      'The key material is not valid for a ECC_NIST_P256 KMS key: the private key is not a ECC_NIST_P256 key.',
    );
    const mine = await opensslPrivateKey(ws, ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    await importMaterial(key.KeyId, mine.der);
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    expect(KeyMetadata).toMatchObject({ KeyState: 'PendingImport', Enabled: false });
    expect(KeyMetadata?.ExpirationModel).toBeUndefined();
    const other = await opensslPrivateKey(ws, ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    await expectFailure(
      importMaterial(key.KeyId, other.der),
      'IncorrectKeyMaterialException',
      `The key material is not the key material previously imported into ${key.Arn}.`,
    );
    await expectFailure(
      importMaterial(key.KeyId, other.der, { ImportType: 'NEW_KEY_MATERIAL' }),
      'UnsupportedOperationException',
      `${key.Arn} key spec is ECC_NIST_P256 which is not valid for this operation.`,
    );
    await importMaterial(key.KeyId, mine.der);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState).toBe('Enabled');
  });
});

describe('SM2 wrapping in a China Region', () => {
  it('imports material wrapped with SM2PKE by openssl into a cn-north-1 key, and refuses mixed choices', async () => {
    const cn = t.kms({ region: 'cn-north-1' });
    const { KeyMetadata } = await cn.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }));
    const keyId = KeyMetadata?.KeyId;
    await expectFailure(
      cn.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'SM2' })),
      'ValidationException',
      'The wrapping algorithm RSAES_OAEP_SHA_256 cannot be used with the wrapping key spec SM2.',
    );
    const params = await cn.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'SM2PKE', WrappingKeySpec: 'SM2' }));
    const material = randomBytes(32);
    const encrypted = await wrapForImport(ws, params.PublicKey ?? new Uint8Array(), material, 'SM2PKE');
    const tampered = Buffer.from(encrypted);
    tampered[tampered.length - 1] ^= 1;
    const send = (blob: Uint8Array) =>
      cn.send(
        new ImportKeyMaterialCommand({
          KeyId: keyId,
          ImportToken: params.ImportToken,
          EncryptedKeyMaterial: blob,
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      );
    await expectFailure(send(tampered), 'InvalidCiphertextException');
    await send(encrypted);
    const enc = await cn.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('SM2-wrapped') }));
    const dec = await cn.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? []).toString()).toBe('SM2-wrapped');
  });
});

describe('the AWS CLI', () => {
  it('runs the documented import flow with get-parameters-for-import and import-key-material', async () => {
    const key = await externalKey();
    const params = await awsCli(t.url, [
      'kms',
      'get-parameters-for-import',
      '--key-id',
      key.KeyId,
      '--wrapping-algorithm',
      'RSA_AES_KEY_WRAP_SHA_256',
      '--wrapping-key-spec',
      'RSA_3072',
    ]);
    expect(params.code).toBe(0);
    const { PublicKey, ImportToken } = params.json as { PublicKey: string; ImportToken: string };
    const material = randomBytes(32);
    const encrypted = await wrapForImport(ws, Buffer.from(PublicKey, 'base64'), material, 'RSA_AES_KEY_WRAP_SHA_256');
    const tokenFile = ws.file('ImportToken.bin');
    writeFileSync(tokenFile, Buffer.from(ImportToken, 'base64'));
    const materialFile = ws.file('EncryptedKeyMaterial.bin');
    writeFileSync(materialFile, encrypted);
    const imported = await awsCli(t.url, [
      'kms',
      'import-key-material',
      '--key-id',
      key.KeyId,
      '--encrypted-key-material',
      `fileb://${materialFile}`,
      '--import-token',
      `fileb://${tokenFile}`,
      '--expiration-model',
      'KEY_MATERIAL_DOES_NOT_EXPIRE',
    ]);
    expect(imported.code).toBe(0);
    await roundTrip(key.KeyId);

    const deleted = await awsCli(t.url, ['kms', 'delete-imported-key-material', '--key-id', key.KeyId]);
    expect(deleted.code).toBe(0);
    const described = await awsCli(t.url, ['kms', 'describe-key', '--key-id', key.KeyId]);
    expect((described.json as { KeyMetadata: { KeyState: string } }).KeyMetadata.KeyState).toBe('PendingImport');
  });
});

describe('at rest', () => {
  it('never stores the imported material or the wrapping private key in plaintext', async () => {
    const p = await startKmsd({ persistent: true });
    try {
      const client = p.kms();
      const { KeyMetadata } = await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }));
      const params = await client.send(
        new GetParametersForImportCommand({
          KeyId: KeyMetadata?.KeyId,
          WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
          WrappingKeySpec: 'RSA_2048',
        }),
      );
      const material = randomBytes(32);
      const encrypted = await wrapForImport(ws, params.PublicKey ?? new Uint8Array(), material, 'RSAES_OAEP_SHA_256');
      await client.send(
        new ImportKeyMaterialCommand({
          KeyId: KeyMetadata?.KeyId,
          ImportToken: params.ImportToken,
          EncryptedKeyMaterial: encrypted,
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      );
      await p.close();
      const stored = readdirSync(p.dataDir ?? '').map((f) => readFileSync(join(p.dataDir ?? '', f)));
      const everything = Buffer.concat(stored);
      expect(everything.includes(material)).toBe(false);
      expect(everything.includes(Buffer.from(material.toString('base64')))).toBe(false);
      // The wrapping private key (whose PKCS #8 form holds the modulus) is kept only wrapped.
      const publicKey = createPublicKey({ key: Buffer.from(params.PublicKey ?? []), format: 'der', type: 'spki' });
      const modulus = Buffer.from(publicKey.export({ format: 'jwk' }).n ?? '', 'base64url');
      expect(modulus).toHaveLength(256);
      expect(everything.includes(modulus)).toBe(false);
    } finally {
      removeDir(p.dataDir);
    }
  });
});

// These move the service clock; they run last.
describe('expiry on the service clock', () => {
  it('refuses an import token after its 24 hours', async () => {
    const key = await externalKey();
    const params = await kms.send(
      new GetParametersForImportCommand({ KeyId: key.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
    );
    const encrypted = await wrapForImport(ws, params.PublicKey ?? new Uint8Array(), randomBytes(32), 'RSAES_OAEP_SHA_256');
    await t.advanceClock(24 * 3600 + 1);
    await expectFailure(
      t.kms().send(
        new ImportKeyMaterialCommand({
          KeyId: key.KeyId,
          ImportToken: params.ImportToken,
          EncryptedKeyMaterial: encrypted,
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }),
      ),
      'ExpiredImportTokenException',
      'The import token has expired. Call GetParametersForImport for a new one.',
    );
  });

  it('makes the key PendingImport when its material expires, until it is imported again', async () => {
    const client = t.kms();
    const key = await externalKey();
    const material = randomBytes(32);
    const validTo = new Date(t.serviceNow().getTime() + 3600 * 1000);
    await expectFailure(
      importMaterial(key.KeyId, material, {
        ExpirationModel: 'KEY_MATERIAL_EXPIRES',
        ValidTo: new Date(t.serviceNow().getTime() + 366 * 24 * 3600 * 1000),
      }),
      'ValidationException',
      'The validTo date must be at most 365 days from now.',
    );
    await importMaterial(key.KeyId, material, { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo });
    const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    expect(KeyMetadata).toMatchObject({ KeyState: 'Enabled', ExpirationModel: 'KEY_MATERIAL_EXPIRES' });
    expect(KeyMetadata?.ValidTo?.getTime()).toBe(validTo.getTime());
    const enc = await client.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('until expiry') }));
    await client.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    await client.send(new EnableKeyCommand({ KeyId: key.KeyId }));

    await t.advanceClock(3601);
    const after = (await t.kms().send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata;
    expect(after).toMatchObject({ KeyState: 'PendingImport', Enabled: false });
    expect(after?.ValidTo).toBeUndefined();
    await expectFailure(
      t.kms().send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })),
      'KMSInvalidStateException',
      `${key.Arn} is pending import.`,
    );
    await importMaterial(key.KeyId, material);
    const dec = await t.kms().send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? []).toString()).toBe('until expiry');
  });
});
