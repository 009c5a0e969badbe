import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constants, createHash, createPrivateKey, createPublicKey, publicEncrypt, verify } from 'node:crypto';
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  GetPublicKeyCommand,
  ReEncryptCommand,
  SignCommand,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import type { KeySpec, KeyUsageType, KMSClient, SigningAlgorithmSpec } from '@aws-sdk/client-kms';
import { awsCli, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { expectError } from './helpers/errors.js';

const INVALID_SIGNATURE = 'The signature is not valid for the given message, key and algorithm.';

let t: TestKmsd;
let kms: KMSClient;

beforeAll(async () => {
  t = await startKmsd();
  kms = t.kms();
});
afterAll(async () => t.close());

async function newKey(KeySpec: KeySpec, KeyUsage: KeyUsageType): Promise<{ KeyId: string; Arn: string }> {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec, KeyUsage }));
  if (!KeyMetadata?.KeyId || !KeyMetadata.Arn) throw new Error('CreateKey returned no key');
  return { KeyId: KeyMetadata.KeyId, Arn: KeyMetadata.Arn };
}

async function publicKeyOf(keyId: string) {
  const out = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  return { out, key: createPublicKey({ key: Buffer.from(out.PublicKey ?? new Uint8Array()), format: 'der', type: 'spki' }) };
}

/** node:crypto's verification of a KMS signature, independent of kmsd. */
function nodeVerifies(
  algorithm: SigningAlgorithmSpec,
  key: ReturnType<typeof createPublicKey>,
  message: Buffer,
  signature: Uint8Array | undefined,
): boolean {
  const sig = Buffer.from(signature ?? new Uint8Array());
  if (algorithm === 'ED25519_SHA_512') return verify(null, message, key, sig);
  const hash = `sha${algorithm.slice(-3)}`;
  if (algorithm.startsWith('RSASSA_PSS')) {
    return verify(hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(algorithm.slice(-3)) / 8 }, sig);
  }
  return verify(hash, message, key, sig);
}

const message = Buffer.from('a message to sign');

/** DER INTEGER / SEQUENCE encoding, enough for ECDSA-Sig-Value. */
function derTlv(tag: number, body: Buffer): Buffer {
  const len = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

function derInt(v: bigint): Buffer {
  const hex = v.toString(16);
  const b = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  return derTlv(0x02, b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

/**
 * (r, n − s): the other, equally valid ECDSA signature for the same digest. Exactly one of
 * the pair has a "high" s, so accepting both shows no low-s rule is applied.
 */
function negatedS(signature: Uint8Array | undefined, n: bigint): Buffer {
  const der = Buffer.from(signature ?? new Uint8Array());
  let i = der[1] === 0x81 ? 3 : 2;
  const ints: bigint[] = [];
  for (let k = 0; k < 2; k++) {
    const len = der[i + 1];
    ints.push(BigInt(`0x${der.subarray(i + 2, i + 2 + len).toString('hex')}`));
    i += 2 + len;
  }
  return derTlv(0x30, Buffer.concat([derInt(ints[0]), derInt(n - ints[1])]));
}

describe('asymmetric signing keys', () => {
  it('ECC keys sign RAW messages that node:crypto verifies with the GetPublicKey output', async () => {
    const cases: [KeySpec, SigningAlgorithmSpec[], string][] = [
      ['ECC_NIST_P256', ['ECDSA_SHA_256'], 'prime256v1'],
      ['ECC_NIST_P384', ['ECDSA_SHA_384'], 'secp384r1'],
      ['ECC_NIST_P521', ['ECDSA_SHA_512'], 'secp521r1'],
      ['ECC_SECG_P256K1', ['ECDSA_SHA_256'], 'secp256k1'],
      ['ECC_NIST_EDWARDS25519', ['ED25519_SHA_512', 'ED25519_PH_SHA_512'], ''],
    ];
    for (const [spec, algorithms, curve] of cases) {
      const k = await newKey(spec, 'SIGN_VERIFY');
      const md = (await kms.send(new DescribeKeyCommand({ KeyId: k.KeyId }))).KeyMetadata;
      expect(md).toMatchObject({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: algorithms });
      expect(md?.EncryptionAlgorithms).toBeUndefined();
      const { out, key } = await publicKeyOf(k.KeyId);
      expect(out).toMatchObject({ KeyId: k.Arn, KeySpec: spec, KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: algorithms });
      if (curve) expect(key.asymmetricKeyDetails?.namedCurve).toBe(curve);
      else expect(key.asymmetricKeyType).toBe('ed25519');
      const algorithm = algorithms[0];
      const signed = await kms.send(new SignCommand({ KeyId: k.KeyId, Message: message, SigningAlgorithm: algorithm }));
      expect(signed).toMatchObject({ KeyId: k.Arn, SigningAlgorithm: algorithm });
      expect(nodeVerifies(algorithm, key, message, signed.Signature)).toBe(true);
      const ok = await kms.send(
        new VerifyCommand({ KeyId: k.Arn, Message: message, Signature: signed.Signature, SigningAlgorithm: algorithm }),
      );
      expect(ok).toMatchObject({ KeyId: k.Arn, SignatureValid: true, SigningAlgorithm: algorithm });
      await expectError(
        kms.send(
          new VerifyCommand({
            KeyId: k.KeyId,
            Message: Buffer.from('another message'),
            Signature: signed.Signature,
            SigningAlgorithm: algorithm,
          }),
        ),
        'KMSInvalidSignatureException',
        400,
        INVALID_SIGNATURE,
      );
    }
  });

  it('RSA keys sign RAW messages and DIGESTs with every RSA algorithm', async () => {
    const k = await newKey('RSA_2048', 'SIGN_VERIFY');
    const { key } = await publicKeyOf(k.KeyId);
    const algorithms: SigningAlgorithmSpec[] = [
      'RSASSA_PSS_SHA_256',
      'RSASSA_PSS_SHA_384',
      'RSASSA_PSS_SHA_512',
      'RSASSA_PKCS1_V1_5_SHA_256',
      'RSASSA_PKCS1_V1_5_SHA_384',
      'RSASSA_PKCS1_V1_5_SHA_512',
    ];
    for (const algorithm of algorithms) {
      const digest = createHash(`sha${algorithm.slice(-3)}`)
        .update(message)
        .digest();
      const raw = await kms.send(new SignCommand({ KeyId: k.KeyId, Message: message, SigningAlgorithm: algorithm }));
      const dig = await kms.send(new SignCommand({ KeyId: k.KeyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: algorithm }));
      expect(nodeVerifies(algorithm, key, message, raw.Signature)).toBe(true);
      expect(nodeVerifies(algorithm, key, message, dig.Signature)).toBe(true);
      // A DIGEST signature verifies as RAW and the other way round: same scheme, same hash.
      await kms.send(
        new VerifyCommand({
          KeyId: k.KeyId,
          Message: digest,
          MessageType: 'DIGEST',
          Signature: raw.Signature,
          SigningAlgorithm: algorithm,
        }),
      );
      await kms.send(new VerifyCommand({ KeyId: k.KeyId, Message: message, Signature: dig.Signature, SigningAlgorithm: algorithm }));
      const bad = Buffer.from(dig.Signature ?? new Uint8Array());
      bad[10] ^= 1;
      await expectError(
        kms.send(
          new VerifyCommand({ KeyId: k.KeyId, Message: digest, MessageType: 'DIGEST', Signature: bad, SigningAlgorithm: algorithm }),
        ),
        'KMSInvalidSignatureException',
        400,
        INVALID_SIGNATURE,
      );
    }
    await expectError(
      kms.send(
        new SignCommand({ KeyId: k.KeyId, Message: Buffer.alloc(31), MessageType: 'DIGEST', SigningAlgorithm: 'RSASSA_PSS_SHA_256' }),
      ),
      'ValidationException',
      400,
      'Digest is invalid length for algorithm RSASSA_PSS_SHA_256.',
    );
    await expectError(
      kms.send(new SignCommand({ KeyId: k.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' })),
      'InvalidKeyUsageException',
      400,
      'Algorithm ECDSA_SHA_256 is incompatible with key spec RSA_2048.',
    );
    await expectError(
      kms.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: message, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })),
      'InvalidKeyUsageException',
      400,
      `${k.Arn} key usage is SIGN_VERIFY which is not valid for this operation.`,
    );
  });

  it('ECDSA keys sign and verify DIGESTs; node:crypto verifies them over the original message', async () => {
    const cases: [KeySpec, SigningAlgorithmSpec, bigint][] = [
      ['ECC_NIST_P256', 'ECDSA_SHA_256', BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551')],
      ['ECC_SECG_P256K1', 'ECDSA_SHA_256', BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141')],
      ['ECC_NIST_P521', 'ECDSA_SHA_512', BigInt(`0x1${'f'.repeat(64)}fa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409`)],
    ];
    for (const [spec, algorithm, n] of cases) {
      const k = await newKey(spec, 'SIGN_VERIFY');
      const { key } = await publicKeyOf(k.KeyId);
      const hash = `sha${algorithm.slice(-3)}`;
      const digest = createHash(hash).update(message).digest();
      const signed = await kms.send(
        new SignCommand({ KeyId: k.KeyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: algorithm }),
      );
      expect(signed).toMatchObject({ KeyId: k.Arn, SigningAlgorithm: algorithm });
      // Independent check: node:crypto hashes the original message itself and expects DER.
      expect(verify(hash, message, key, Buffer.from(signed.Signature ?? new Uint8Array()))).toBe(true);
      const twin = negatedS(signed.Signature, n);
      expect(verify(hash, message, key, twin)).toBe(true);
      const raw = await kms.send(new SignCommand({ KeyId: k.KeyId, Message: message, SigningAlgorithm: algorithm }));
      // DIGEST-mode Verify accepts kmsd's DIGEST signature, its high/low-s twin, and a RAW-mode one.
      for (const signature of [signed.Signature, twin, raw.Signature]) {
        const ok = await kms.send(
          new VerifyCommand({ KeyId: k.KeyId, Message: digest, MessageType: 'DIGEST', Signature: signature, SigningAlgorithm: algorithm }),
        );
        expect(ok).toMatchObject({ KeyId: k.Arn, SignatureValid: true, SigningAlgorithm: algorithm });
      }
      await kms.send(new VerifyCommand({ KeyId: k.KeyId, Message: message, Signature: signed.Signature, SigningAlgorithm: algorithm }));
      const otherDigest = createHash(hash).update('another message').digest();
      for (const [Message, Signature] of [
        [otherDigest, signed.Signature],
        [digest, Buffer.from('not a DER signature')],
      ] as const) {
        await expectError(
          kms.send(new VerifyCommand({ KeyId: k.KeyId, Message, MessageType: 'DIGEST', Signature, SigningAlgorithm: algorithm })),
          'KMSInvalidSignatureException',
          400,
          INVALID_SIGNATURE,
        );
      }
    }
  });

  it('refuses what asymmetric keys cannot do', async () => {
    const ec = await newKey('ECC_NIST_P256', 'SIGN_VERIFY');
    const ed = await newKey('ECC_NIST_EDWARDS25519', 'SIGN_VERIFY');
    await expectError(
      kms.send(new SignCommand({ KeyId: ed.KeyId, Message: Buffer.alloc(64), MessageType: 'DIGEST', SigningAlgorithm: 'ED25519_SHA_512' })),
      'ValidationException',
      400,
      'MessageType DIGEST is not valid for algorithm ED25519_SHA_512.',
    );
    await expectError(
      kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256' })),
      'ValidationException',
      400,
      'KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ECC_NIST_P256',
    );
    await expectError(
      kms.send(new EnableKeyRotationCommand({ KeyId: ec.KeyId })),
      'UnsupportedOperationException',
      400,
      `${ec.Arn} key spec is ECC_NIST_P256 which is not valid for this operation.`,
    );
    const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata;
    await expectError(
      kms.send(new GetPublicKeyCommand({ KeyId: symmetric?.KeyId ?? '' })),
      'UnsupportedOperationException',
      400,
      `${symmetric?.Arn} key spec is SYMMETRIC_DEFAULT which is not valid for this operation.`,
    );
    await expectError(
      kms.send(new SignCommand({ KeyId: symmetric?.KeyId ?? '', Message: message, SigningAlgorithm: 'ECDSA_SHA_256' })),
      'InvalidKeyUsageException',
      400,
      `${symmetric?.Arn} key usage is ENCRYPT_DECRYPT which is not valid for this operation.`,
    );
  });
});

describe('RSA encryption keys', () => {
  it('encrypt and decrypt with RSAES_OAEP_SHA_1 and _SHA_256, within the plaintext limits', async () => {
    const k = await newKey('RSA_2048', 'ENCRYPT_DECRYPT');
    const { out, key } = await publicKeyOf(k.KeyId);
    expect(out.EncryptionAlgorithms).toEqual(['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']);
    for (const [algorithm, hash, limit] of [
      ['RSAES_OAEP_SHA_1', 'sha1', 214],
      ['RSAES_OAEP_SHA_256', 'sha256', 190],
    ] as const) {
      const plaintext = Buffer.alloc(limit, 7);
      const enc = await kms.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: plaintext, EncryptionAlgorithm: algorithm }));
      expect(enc).toMatchObject({ KeyId: k.Arn, EncryptionAlgorithm: algorithm });
      expect(enc.CiphertextBlob).toHaveLength(256);
      const dec = await kms.send(new DecryptCommand({ KeyId: k.Arn, CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: algorithm }));
      expect(Buffer.from(dec.Plaintext ?? new Uint8Array())).toEqual(plaintext);
      expect(dec).toMatchObject({ KeyId: k.Arn, EncryptionAlgorithm: algorithm });
      // Ciphertext made outside kmsd with the public key decrypts too.
      const outside = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, Buffer.from('from outside'));
      const dec2 = await kms.send(new DecryptCommand({ KeyId: k.KeyId, CiphertextBlob: outside, EncryptionAlgorithm: algorithm }));
      expect(Buffer.from(dec2.Plaintext ?? new Uint8Array()).toString()).toBe('from outside');
      await expectError(
        kms.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: Buffer.alloc(limit + 1), EncryptionAlgorithm: algorithm })),
        'ValidationException',
        400,
        `Plaintext is too long: at most ${limit} bytes for ${algorithm} with RSA_2048.`,
      );
    }
    const enc = await kms.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: message, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
    await expectError(
      kms.send(new DecryptCommand({ KeyId: k.KeyId, CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' })),
      'InvalidCiphertextException',
      400,
      'The ciphertext is invalid, was altered, or does not match the encryption context.',
    );
    await expectError(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })),
      'ValidationException',
      400,
      'KeyId is required with EncryptionAlgorithm RSAES_OAEP_SHA_256.',
    );
    await expectError(
      kms.send(
        new EncryptCommand({
          KeyId: k.KeyId,
          Plaintext: message,
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
          EncryptionContext: { a: '1' },
        }),
      ),
      'ValidationException',
      400,
      'EncryptionContext is not supported with asymmetric KMS keys.',
    );
    await expectError(
      kms.send(new EncryptCommand({ KeyId: k.KeyId, Plaintext: message })),
      'InvalidKeyUsageException',
      400,
      `The encryption algorithm SYMMETRIC_DEFAULT is not valid for ${k.Arn}.`,
    );
    await expectError(
      kms.send(new GenerateDataKeyCommand({ KeyId: k.KeyId, KeySpec: 'AES_256' })),
      'InvalidKeyUsageException',
      400,
      `${k.Arn} key usage is ENCRYPT_DECRYPT which is not valid for this operation.`,
    );
  });
});

describe('ReEncrypt with RSA keys', () => {
  it('moves a ciphertext from a symmetric key to an RSA key and back', async () => {
    const rsa = await newKey('RSA_2048', 'ENCRYPT_DECRYPT');
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const sym = KeyMetadata?.KeyId ?? '';
    const enc = await kms.send(new EncryptCommand({ KeyId: sym, Plaintext: message, EncryptionContext: { a: '1' } }));
    const toRsa = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: enc.CiphertextBlob,
        SourceEncryptionContext: { a: '1' },
        DestinationKeyId: rsa.KeyId,
        DestinationEncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
      }),
    );
    expect(toRsa).toMatchObject({
      KeyId: rsa.Arn,
      SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      DestinationEncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
      SourceKeyMaterialId: KeyMetadata?.CurrentKeyMaterialId,
    });
    expect(toRsa).not.toHaveProperty('DestinationKeyMaterialId');
    const back = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: toRsa.CiphertextBlob,
        SourceKeyId: rsa.Arn,
        SourceEncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        DestinationKeyId: sym,
      }),
    );
    expect(back).toMatchObject({
      SourceKeyId: rsa.Arn,
      SourceEncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
      DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    });
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: back.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array())).toEqual(message);
    await expectError(
      kms.send(
        new ReEncryptCommand({
          CiphertextBlob: toRsa.CiphertextBlob,
          SourceEncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
          DestinationKeyId: sym,
        }),
      ),
      'ValidationException',
      400,
      'KeyId is required with EncryptionAlgorithm RSAES_OAEP_SHA_256.',
    );
  });
});

describe('data key pairs', () => {
  it('GenerateDataKeyPair(WithoutPlaintext): the private key is sealed under the symmetric key and matches the public key', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata?.KeyId ?? '';
    const context = { purpose: 'pair' };
    for (const spec of ['RSA_2048', 'ECC_NIST_P256', 'ECC_SECG_P256K1', 'ECC_NIST_EDWARDS25519'] as const) {
      const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: spec, EncryptionContext: context }));
      expect(pair).toMatchObject({ KeyId: KeyMetadata?.Arn, KeyPairSpec: spec, KeyMaterialId: KeyMetadata?.CurrentKeyMaterialId });
      const privateDer = Buffer.from(pair.PrivateKeyPlaintext ?? new Uint8Array());
      const derived = createPublicKey(createPrivateKey({ key: privateDer, format: 'der', type: 'pkcs8' })).export({
        format: 'der',
        type: 'spki',
      });
      expect(derived).toEqual(Buffer.from(pair.PublicKey ?? new Uint8Array()));
      const opened = await kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: context }));
      expect(Buffer.from(opened.Plaintext ?? new Uint8Array())).toEqual(privateDer);
    }
    const bare = await kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: keyId, KeyPairSpec: 'ECC_NIST_P384' }));
    expect(bare).not.toHaveProperty('PrivateKeyPlaintext');
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: bare.PrivateKeyCiphertextBlob }));
    const derived = createPublicKey(
      createPrivateKey({ key: Buffer.from(opened.Plaintext ?? new Uint8Array()), format: 'der', type: 'pkcs8' }),
    );
    expect(derived.export({ format: 'der', type: 'spki' })).toEqual(Buffer.from(bare.PublicKey ?? new Uint8Array()));
    expect(derived.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');

    await expectError(
      kms.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'SM2' })),
      'UnsupportedOperationException',
      400,
      'KeyPairSpec SM2 is available only in China Regions.',
    );
    const ec = await newKey('ECC_NIST_P256', 'SIGN_VERIFY');
    await expectError(
      kms.send(new GenerateDataKeyPairCommand({ KeyId: ec.KeyId, KeyPairSpec: 'RSA_2048' })),
      'InvalidKeyUsageException',
      400,
      `${ec.Arn} key usage is SIGN_VERIFY which is not valid for this operation.`,
    );
  });
});

describe('the AWS CLI with an ECC key', () => {
  it('signs and verifies; node:crypto verifies the signature with the get-public-key output', async () => {
    const created = await awsCli(t.url, ['kms', 'create-key', '--key-spec', 'ECC_NIST_P256', '--key-usage', 'SIGN_VERIFY']);
    expect(created.stderr).toBe('');
    const keyId = (created.json as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
    const msg = Buffer.from('signed by the aws cli').toString('base64');
    const signed = await awsCli(t.url, [
      'kms',
      'sign',
      '--key-id',
      keyId,
      '--message',
      msg,
      '--message-type',
      'RAW',
      '--signing-algorithm',
      'ECDSA_SHA_256',
    ]);
    expect(signed.stderr).toBe('');
    const signature = (signed.json as { Signature: string }).Signature;
    const verified = await awsCli(t.url, [
      'kms',
      'verify',
      '--key-id',
      keyId,
      '--message',
      msg,
      '--signature',
      signature,
      '--signing-algorithm',
      'ECDSA_SHA_256',
    ]);
    expect(verified.json).toMatchObject({ SignatureValid: true, SigningAlgorithm: 'ECDSA_SHA_256' });
    const pub = await awsCli(t.url, ['kms', 'get-public-key', '--key-id', keyId]);
    const publicKey = createPublicKey({
      key: Buffer.from((pub.json as { PublicKey: string }).PublicKey, 'base64'),
      format: 'der',
      type: 'spki',
    });
    expect(verify('sha256', Buffer.from('signed by the aws cli'), publicKey, Buffer.from(signature, 'base64'))).toBe(true);
    expect(verify('sha256', Buffer.from('something else'), publicKey, Buffer.from(signature, 'base64'))).toBe(false);
  });
});
