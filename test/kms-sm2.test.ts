/**
 * SM2 keys (China Regions only) through the JS SDK: SM2DSA and SM2PKE cross-checked with the
 * openssl command line (OpenSSL's own SM2, with the distinguishing ID AWS uses), and ECDH key
 * agreement checked against node:crypto.
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecdh, weierstrass } from '@noble/curves/abstract/weierstrass.js';
import {
  CreateKeyCommand,
  DecryptCommand,
  DeriveSharedSecretCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyPairCommand,
  GetPublicKeyCommand,
  ReEncryptCommand,
  SignCommand,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import type { KeyUsageType, KMSClient } from '@aws-sdk/client-kms';
import { startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { OpensslWorkspace } from './helpers/openssl.js';

let t: TestKmsd;
let china: KMSClient;
const ws = new OpensslWorkspace();
const DEFAULT_ID = '1234567812345678';
const SM2_SPKI_PREFIX = '3059301306072a8648ce3d020106082a811ccf5501822d034200';
/** The SM2 recommended curve (GB/T 32918.5), for an ECDH computation independent of kmsd's. */
const SM2_CURVE = weierstrass({
  p: BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF'),
  n: BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123'),
  h: 1n,
  a: BigInt('0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC'),
  b: BigInt('0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93'),
  Gx: BigInt('0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7'),
  Gy: BigInt('0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0'),
});

beforeAll(async () => {
  t = await startKmsd();
  china = t.kms({ region: 'cn-north-1' });
});
afterAll(async () => t.close());

async function sm2Key(KeyUsage: KeyUsageType): Promise<{ KeyId: string; Arn: string; publicKeyPem: string; spki: Buffer }> {
  const { KeyMetadata } = await china.send(new CreateKeyCommand({ KeySpec: 'SM2', KeyUsage }));
  if (!KeyMetadata?.KeyId || !KeyMetadata.Arn) throw new Error('CreateKey returned no key');
  const { PublicKey } = await china.send(new GetPublicKeyCommand({ KeyId: KeyMetadata.KeyId }));
  const spki = Buffer.from(PublicKey ?? new Uint8Array());
  const publicKeyPem = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }).toString();
  return { KeyId: KeyMetadata.KeyId, Arn: KeyMetadata.Arn, publicKeyPem, spki };
}

async function openssl(args: string[]): Promise<string> {
  const r = await ws.openssl(args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describe('SM2 outside the China Regions', () => {
  it('is refused in us-east-1, for keys and data key pairs', async () => {
    const kms = t.kms();
    await expect(kms.send(new CreateKeyCommand({ KeySpec: 'SM2', KeyUsage: 'SIGN_VERIFY' }))).rejects.toMatchObject({
      name: 'UnsupportedOperationException',
      message: 'KeySpec SM2 is available only in China Regions.',
    });
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    await expect(kms.send(new GenerateDataKeyPairCommand({ KeyId: KeyMetadata?.KeyId, KeyPairSpec: 'SM2' }))).rejects.toMatchObject({
      name: 'UnsupportedOperationException',
      message: 'KeyPairSpec SM2 is available only in China Regions.',
    });
  });
});

describe('SM2 keys in cn-north-1', () => {
  it('lists one algorithm per usage, and the SPKI names the SM2 curve', async () => {
    for (const [usage, algorithms] of [
      ['ENCRYPT_DECRYPT', { EncryptionAlgorithms: ['SM2PKE'] }],
      ['SIGN_VERIFY', { SigningAlgorithms: ['SM2DSA'] }],
      ['KEY_AGREEMENT', { KeyAgreementAlgorithms: ['ECDH'] }],
    ] as const) {
      const key = await sm2Key(usage);
      const { KeyMetadata } = await china.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
      expect(KeyMetadata).toMatchObject({ KeySpec: 'SM2', CustomerMasterKeySpec: 'SM2', KeyUsage: usage, ...algorithms });
      // id-ecPublicKey with the named curve sm2 (1.2.156.10197.1.301).
      expect(key.spki.subarray(0, 26).toString('hex')).toBe(SM2_SPKI_PREFIX);
    }
  });

  it('SM2DSA RAW: openssl verifies kmsd signatures (ID 1234567812345678); a foreign signature is refused', async () => {
    const key = await sm2Key('SIGN_VERIFY');
    const message = Buffer.from('signed with SM2DSA');
    const out = await china.send(new SignCommand({ KeyId: key.KeyId, Message: message, SigningAlgorithm: 'SM2DSA' }));
    expect(out).toMatchObject({ KeyId: key.Arn, SigningAlgorithm: 'SM2DSA' });
    const pub = ws.file('sm2.pub', key.publicKeyPem);
    const msg = ws.file('msg', message.toString());
    const sig = ws.file('sig');
    writeFileSync(sig, Buffer.from(out.Signature ?? new Uint8Array()));
    const verifyArgs = ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', msg, '-sigfile', sig, '-digest', 'sm3'];
    expect(await openssl([...verifyArgs, '-pkeyopt', `distid:${DEFAULT_ID}`])).toContain('Signature Verified Successfully');
    // With another distinguishing ID the same signature does not verify: the ID is part of it.
    expect((await ws.openssl([...verifyArgs, '-pkeyopt', 'distid:another-id'])).code).not.toBe(0);

    // A valid SM2 signature of the same message under another key (made by openssl) is refused.
    const foreign = ws.file('foreign.key');
    await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', foreign]);
    const foreignSig = ws.file('foreign.sig');
    await openssl([
      'pkeyutl',
      '-sign',
      '-inkey',
      foreign,
      '-rawin',
      '-in',
      msg,
      '-digest',
      'sm3',
      '-pkeyopt',
      `distid:${DEFAULT_ID}`,
      '-out',
      foreignSig,
    ]);
    await expect(
      china.send(
        new VerifyCommand({ KeyId: key.KeyId, Message: message, Signature: readFileSync(foreignSig), SigningAlgorithm: 'SM2DSA' }),
      ),
    ).rejects.toMatchObject({ name: 'KMSInvalidSignatureException' });
    const verified = await china.send(
      new VerifyCommand({ KeyId: key.KeyId, Message: message, Signature: out.Signature, SigningAlgorithm: 'SM2DSA' }),
    );
    expect(verified.SignatureValid).toBe(true);
  });

  it('SM2DSA DIGEST: the message is e = SM3(Z ‖ M), computed by the caller', async () => {
    const key = await sm2Key('SIGN_VERIFY');
    const message = Buffer.from('hashed offline');
    const e = createHash('sm3').update(zOf(key.spki)).update(message).digest();
    const out = await china.send(new SignCommand({ KeyId: key.KeyId, Message: e, MessageType: 'DIGEST', SigningAlgorithm: 'SM2DSA' }));
    const sig = ws.file('digest.sig');
    writeFileSync(sig, Buffer.from(out.Signature ?? new Uint8Array()));
    const args = [
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      ws.file('sm2d.pub', key.publicKeyPem),
      '-rawin',
      '-in',
      ws.file('m', message.toString()),
    ];
    expect(await openssl([...args, '-sigfile', sig, '-digest', 'sm3', '-pkeyopt', `distid:${DEFAULT_ID}`])).toContain(
      'Signature Verified Successfully',
    );
    await expect(
      china.send(new SignCommand({ KeyId: key.KeyId, Message: Buffer.alloc(48), MessageType: 'DIGEST', SigningAlgorithm: 'SM2DSA' })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'Digest is invalid length for algorithm SM2DSA.' });
  });

  it('SM2PKE: openssl encrypts to GetPublicKey, kmsd decrypts; kmsd round-trips; limits as AWS', async () => {
    const key = await sm2Key('ENCRYPT_DECRYPT');
    const plaintext = ws.file('plain', 'secret for SM2PKE');
    const ciphertext = ws.file('ct');
    await openssl(['pkeyutl', '-encrypt', '-pubin', '-inkey', ws.file('enc.pub', key.publicKeyPem), '-in', plaintext, '-out', ciphertext]);
    const opened = await china.send(
      new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: readFileSync(ciphertext), EncryptionAlgorithm: 'SM2PKE' }),
    );
    expect(Buffer.from(opened.Plaintext ?? new Uint8Array()).toString()).toBe('secret for SM2PKE');
    expect(opened).toMatchObject({ KeyId: key.Arn, EncryptionAlgorithm: 'SM2PKE' });

    const max = Buffer.alloc(1024, 1);
    const sealed = await china.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: max, EncryptionAlgorithm: 'SM2PKE' }));
    const back = await china.send(
      new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: sealed.CiphertextBlob, EncryptionAlgorithm: 'SM2PKE' }),
    );
    expect(Buffer.from(back.Plaintext ?? new Uint8Array())).toEqual(max);

    await expect(
      china.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.alloc(1025), EncryptionAlgorithm: 'SM2PKE' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Algorithm SM2PKE and key spec SM2 cannot encrypt data larger than 1024 bytes.',
    });
    await expect(
      china.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })),
    ).rejects.toMatchObject({
      name: 'InvalidKeyUsageException',
      message: `The encryption algorithm RSAES_OAEP_SHA_256 is not valid for ${key.Arn}.`,
    });
    // ReEncrypt from SM2PKE to a symmetric key and back to SM2PKE.
    const { KeyMetadata: symmetric } = await china.send(new CreateKeyCommand({}));
    const moved = await china.send(
      new ReEncryptCommand({
        CiphertextBlob: readFileSync(ciphertext),
        SourceKeyId: key.KeyId,
        SourceEncryptionAlgorithm: 'SM2PKE',
        DestinationKeyId: symmetric?.KeyId,
      }),
    );
    const back2 = await china.send(
      new ReEncryptCommand({
        CiphertextBlob: moved.CiphertextBlob,
        DestinationKeyId: key.KeyId,
        DestinationEncryptionAlgorithm: 'SM2PKE',
      }),
    );
    const final = await china.send(
      new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: back2.CiphertextBlob, EncryptionAlgorithm: 'SM2PKE' }),
    );
    expect(Buffer.from(final.Plaintext ?? new Uint8Array()).toString()).toBe('secret for SM2PKE');
    const tampered = Buffer.from(readFileSync(ciphertext));
    tampered[tampered.length - 1] ^= 1;
    await expect(
      china.send(new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: tampered, EncryptionAlgorithm: 'SM2PKE' })),
    ).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
  });

  it('ECDH: DeriveSharedSecret equals the secret computed locally (node:crypto, and @noble/curves on the SM2 curve)', async () => {
    const key = await sm2Key('KEY_AGREEMENT');
    const peer = generateKeyPairSync('ec', { namedCurve: 'SM2' });
    const out = await china.send(
      new DeriveSharedSecretCommand({
        KeyId: key.KeyId,
        KeyAgreementAlgorithm: 'ECDH',
        PublicKey: peer.publicKey.export({ format: 'der', type: 'spki' }),
      }),
    );
    // node:crypto can only combine two keys it generated (it does not name OpenSSL's parsed SM2
    // type), so the peer's side is computed with @noble/curves' generic Weierstrass ECDH.
    const peerScalar = peer.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(36, 68);
    const sharedPoint = ecdh(SM2_CURVE).getSharedSecret(peerScalar, key.spki.subarray(key.spki.length - 65));
    const local = Buffer.from(sharedPoint.subarray(1));
    expect(local.length).toBe(32);
    expect(Buffer.from(out.SharedSecret ?? new Uint8Array())).toEqual(local);
    // The local construction itself agrees with node:crypto for two keys node generated.
    const other = generateKeyPairSync('ec', { namedCurve: 'SM2' });
    const viaNode = diffieHellman({ privateKey: peer.privateKey, publicKey: other.publicKey });
    const viaNoble = ecdh(SM2_CURVE).getSharedSecret(peerScalar, other.publicKey.export({ format: 'der', type: 'spki' }).subarray(26));
    expect(Buffer.from(viaNoble.subarray(1))).toEqual(viaNode);
    const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' });
    await expect(
      china.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: p256 })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'The public key must be on the same elliptic curve as SM2.' });
  });

  it('GenerateDataKeyPair SM2 gives an SM2 key pair in cn-north-1', async () => {
    const { KeyMetadata } = await china.send(new CreateKeyCommand({}));
    const out = await china.send(new GenerateDataKeyPairCommand({ KeyId: KeyMetadata?.KeyId, KeyPairSpec: 'SM2' }));
    const publicKey = createPublicKey({ key: Buffer.from(out.PublicKey ?? new Uint8Array()), format: 'der', type: 'spki' });
    expect(
      Buffer.from(out.PublicKey ?? new Uint8Array())
        .subarray(0, 26)
        .toString('hex'),
    ).toBe(SM2_SPKI_PREFIX);
    const fromPrivate = createPublicKey(
      createPrivateKey({ key: Buffer.from(out.PrivateKeyPlaintext ?? new Uint8Array()), format: 'der', type: 'pkcs8' }),
    );
    expect(fromPrivate.export({ format: 'der', type: 'spki' })).toEqual(publicKey.export({ format: 'der', type: 'spki' }));
  });
});

/** Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A) with AWS's default ID (GB/T 32918.2 §5.5). */
function zOf(spki: Buffer): Buffer {
  const id = Buffer.from(DEFAULT_ID);
  const curve =
    'FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC' +
    '28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93' +
    '32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7' +
    'BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0';
  return createHash('sm3')
    .update(Buffer.concat([Buffer.from([0, id.length * 8]), id, Buffer.from(curve, 'hex'), spki.subarray(spki.length - 64)]))
    .digest();
}
