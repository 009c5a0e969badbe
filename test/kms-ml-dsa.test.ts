/**
 * ML-DSA keys (ML_DSA_44/65/87, ML_DSA_SHAKE_256) end to end through the JS SDK and
 * /usr/bin/aws. kmsd's signatures are verified outside kmsd's code path: with
 * @noble/post-quantum's pure ML-DSA verification on the public key decoded here from
 * GetPublicKey's DER, and with OpenSSL's ML-DSA through Python's `cryptography` where the machine
 * has a version with ML-DSA (the key encodings themselves are checked against RFC 9881's
 * examples in src/kms/ml-dsa.test.ts).
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { CreateKeyCommand, DescribeKeyCommand, GetPublicKeyCommand, SignCommand, VerifyCommand } from '@aws-sdk/client-kms';
import type { KeySpec, KMSClient, MessageType } from '@aws-sdk/client-kms';
import { awsCli, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { OpensslWorkspace } from './helpers/openssl.js';

let t: TestKmsd;
let kms: KMSClient;

beforeAll(async () => {
  t = await startKmsd();
  kms = t.kms();
});
afterAll(async () => t.close());

const SPECS = [
  { spec: 'ML_DSA_44', dsa: ml_dsa44, oid: '2.16.840.1.101.3.4.3.17', publicKeyBytes: 1312, signatureBytes: 2420 },
  { spec: 'ML_DSA_65', dsa: ml_dsa65, oid: '2.16.840.1.101.3.4.3.18', publicKeyBytes: 1952, signatureBytes: 3309 },
  { spec: 'ML_DSA_87', dsa: ml_dsa87, oid: '2.16.840.1.101.3.4.3.19', publicKeyBytes: 2592, signatureBytes: 4627 },
] as const;

/** One DER TLV: tag, content, and the offset after it. */
function readTlv(der: Buffer, at: number): { tag: number; content: Buffer; end: number } {
  const tag = der[at];
  let length = der[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    length = der.subarray(start, start + n).reduce((acc, b) => acc * 256 + b, 0);
    start += n;
  }
  return { tag, content: der.subarray(start, start + length), end: start + length };
}

function oidText(content: Buffer): string {
  const arcs = [Math.floor(content[0] / 40), content[0] % 40];
  let value = 0;
  for (const b of content.subarray(1)) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/** SubjectPublicKeyInfo -> algorithm OID, whether parameters are present, raw key bytes. */
function decodeSpki(der: Buffer): { oid: string; hasParameters: boolean; key: Buffer } {
  const spki = readTlv(der, 0);
  expect(spki.tag).toBe(0x30);
  expect(spki.end).toBe(der.length);
  const algorithm = readTlv(spki.content, 0);
  const oid = readTlv(algorithm.content, 0);
  const bitString = readTlv(spki.content, algorithm.end);
  expect(bitString.tag).toBe(0x03);
  expect(bitString.content[0]).toBe(0); // no unused bits
  return { oid: oidText(oid.content), hasParameters: oid.end < algorithm.content.length, key: bitString.content.subarray(1) };
}

async function mlDsaKey(KeySpec: KeySpec): Promise<{ KeyId: string; Arn: string; publicKeyDer: Buffer }> {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec, KeyUsage: 'SIGN_VERIFY' }));
  if (!KeyMetadata?.KeyId || !KeyMetadata.Arn) throw new Error('CreateKey returned no key');
  const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: KeyMetadata.KeyId }));
  return { KeyId: KeyMetadata.KeyId, Arn: KeyMetadata.Arn, publicKeyDer: Buffer.from(PublicKey ?? new Uint8Array()) };
}

async function sign(KeyId: string, Message: Buffer, MessageType: MessageType = 'RAW'): Promise<Buffer> {
  const out = await kms.send(new SignCommand({ KeyId, Message, MessageType, SigningAlgorithm: 'ML_DSA_SHAKE_256' }));
  expect(out.SigningAlgorithm).toBe('ML_DSA_SHAKE_256');
  return Buffer.from(out.Signature ?? new Uint8Array());
}

/** FIPS 204 §6.2 / Algorithm 7 step 6: μ = SHAKE256(SHAKE256(pk, 64) ‖ 0 ‖ |ctx| ‖ ctx ‖ M, 64), ctx empty. */
function externalMu(publicKey: Buffer, message: Buffer): Buffer {
  const tr = createHash('shake256', { outputLength: 64 }).update(publicKey).digest();
  return createHash('shake256', { outputLength: 64 })
    .update(tr)
    .update(Buffer.from([0, 0]))
    .update(message)
    .digest();
}

/** Python's cryptography (OpenSSL 3.5+) with ML-DSA, when this machine has it. */
function pythonHasMlDsa(): boolean {
  try {
    execFileSync('python3', ['-c', 'from cryptography.hazmat.primitives.asymmetric import mldsa; mldsa.MLDSA44PrivateKey.generate()'], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

const PYTHON_VERIFY = `
import sys
from cryptography.hazmat.primitives.serialization import load_der_public_key
spki, message, signature = (open(p, 'rb').read() for p in sys.argv[1:4])
load_der_public_key(spki).verify(signature, message)
print('valid')
`;

describe('ML-DSA keys', () => {
  it.each(SPECS)('$spec: metadata, and a public key in RFC 9881 SubjectPublicKeyInfo form', async ({ spec, oid, publicKeyBytes }) => {
    const key = await mlDsaKey(spec);
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    expect(KeyMetadata).toMatchObject({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ML_DSA_SHAKE_256'] });
    // CustomerMasterKeySpec predates ML-DSA and has no value for it.
    expect(KeyMetadata?.CustomerMasterKeySpec).toBeUndefined();
    const out = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
    expect(out).toMatchObject({ KeyId: key.Arn, KeySpec: spec, KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ML_DSA_SHAKE_256'] });
    const decoded = decodeSpki(key.publicKeyDer);
    expect(decoded).toMatchObject({ oid, hasParameters: false });
    expect(decoded.key.length).toBe(publicKeyBytes);
  });

  it('ML-DSA keys have no other usage', async () => {
    await expect(kms.send(new CreateKeyCommand({ KeySpec: 'ML_DSA_44', KeyUsage: 'ENCRYPT_DECRYPT' }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ML_DSA_44',
    });
  });
});

describe('Sign and Verify with ML_DSA_SHAKE_256', () => {
  it.each(SPECS)(
    '$spec RAW: the signature verifies with @noble/post-quantum on the decoded public key',
    async ({ spec, dsa, signatureBytes }) => {
      const key = await mlDsaKey(spec);
      const message = randomBytes(4096); // AWS's RAW limit
      const signature = await sign(key.KeyId, message);
      expect(signature.length).toBe(signatureBytes);
      const publicKey = decodeSpki(key.publicKeyDer).key;
      expect(dsa.verify(signature, message, publicKey)).toBe(true);
      expect(dsa.verify(signature, Buffer.concat([message, Buffer.from([0])]), publicKey)).toBe(false);
      // Hedged signing: two signatures of one message differ, and both are valid.
      const again = await sign(key.KeyId, message);
      expect(again.equals(signature)).toBe(false);
      const verified = await kms.send(
        new VerifyCommand({ KeyId: key.KeyId, Message: message, Signature: again, SigningAlgorithm: 'ML_DSA_SHAKE_256' }),
      );
      expect(verified).toMatchObject({ KeyId: key.Arn, SignatureValid: true, SigningAlgorithm: 'ML_DSA_SHAKE_256' });
    },
  );

  it.each(SPECS)('$spec EXTERNAL_MU: signing μ gives a pure ML-DSA signature of the message', async ({ spec, dsa }) => {
    const key = await mlDsaKey(spec);
    const publicKey = decodeSpki(key.publicKeyDer).key;
    const message = Buffer.from('signed through its external mu');
    const mu = externalMu(publicKey, message);
    const signature = await sign(key.KeyId, mu, 'EXTERNAL_MU');
    expect(dsa.verify(signature, message, publicKey)).toBe(true);
    // And the other way round: kmsd verifies a RAW signature given only μ.
    const raw = await sign(key.KeyId, message);
    const verified = await kms.send(
      new VerifyCommand({
        KeyId: key.KeyId,
        Message: mu,
        MessageType: 'EXTERNAL_MU',
        Signature: raw,
        SigningAlgorithm: 'ML_DSA_SHAKE_256',
      }),
    );
    expect(verified.SignatureValid).toBe(true);
  });

  it.skipIf(!pythonHasMlDsa())(
    'a signature verifies with OpenSSL ML-DSA through Python cryptography (independent implementation)',
    async () => {
      const ws = new OpensslWorkspace();
      for (const { spec } of SPECS) {
        const key = await mlDsaKey(spec);
        const message = Buffer.from(`checked by OpenSSL: ${spec}`);
        const signature = await sign(key.KeyId, message);
        const files = [key.publicKeyDer, message, signature].map((content, i) => {
          const path = join(ws.dir, `${spec}-${i}`);
          writeFileSync(path, content);
          return path;
        });
        const { stdout } = await promisify(execFile)('python3', ['-c', PYTHON_VERIFY, ...files]);
        expect(stdout.trim()).toBe('valid');
      }
    },
  );

  it('refuses a bad signature with AWS error name, and message types and lengths ML-DSA does not take', async () => {
    const key = await mlDsaKey('ML_DSA_44');
    const message = Buffer.from('m');
    const signature = await sign(key.KeyId, message);
    const tampered = Buffer.from(signature);
    tampered[100] ^= 1;
    for (const bad of [tampered, signature.subarray(0, 100)]) {
      await expect(
        kms.send(new VerifyCommand({ KeyId: key.KeyId, Message: message, Signature: bad, SigningAlgorithm: 'ML_DSA_SHAKE_256' })),
      ).rejects.toMatchObject({ name: 'KMSInvalidSignatureException' });
    }
    await expect(
      kms.send(
        new SignCommand({ KeyId: key.KeyId, Message: Buffer.alloc(64), MessageType: 'DIGEST', SigningAlgorithm: 'ML_DSA_SHAKE_256' }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'MessageType DIGEST is not valid for algorithm ML_DSA_SHAKE_256.' });
    await expect(
      kms.send(
        new SignCommand({ KeyId: key.KeyId, Message: Buffer.alloc(32), MessageType: 'EXTERNAL_MU', SigningAlgorithm: 'ML_DSA_SHAKE_256' }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'Digest is invalid length for algorithm ML_DSA_SHAKE_256.' });
    await expect(
      kms.send(new SignCommand({ KeyId: key.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' })),
    ).rejects.toMatchObject({
      name: 'InvalidKeyUsageException',
      message: 'Algorithm ECDSA_SHA_256 is incompatible with key spec ML_DSA_44.',
    });
    // EXTERNAL_MU belongs to ML-DSA only.
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
    await expect(
      kms.send(
        new SignCommand({
          KeyId: KeyMetadata?.KeyId,
          Message: Buffer.alloc(64),
          MessageType: 'EXTERNAL_MU',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'MessageType EXTERNAL_MU is not valid for algorithm ECDSA_SHA_256.' });
  });
});

describe('/usr/bin/aws (2.9.19 predates ML-DSA, but passes enum values through)', () => {
  it('creates an ML_DSA_65 key, signs and verifies; the signature verifies outside kmsd', async () => {
    const created = await awsCli(t.url, ['kms', 'create-key', '--key-spec', 'ML_DSA_65', '--key-usage', 'SIGN_VERIFY']);
    expect(created.code, created.stderr).toBe(0);
    const keyId = (created.json as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
    const ws = new OpensslWorkspace();
    const messageFile = ws.file('message', 'signed by the CLI');
    const signed = await awsCli(t.url, [
      'kms',
      'sign',
      '--key-id',
      keyId,
      '--message',
      `fileb://${messageFile}`,
      '--message-type',
      'RAW',
      '--signing-algorithm',
      'ML_DSA_SHAKE_256',
    ]);
    expect(signed.code, signed.stderr).toBe(0);
    const signature = (signed.json as { Signature: string }).Signature;
    const signatureFile = ws.file('signature');
    writeFileSync(signatureFile, Buffer.from(signature, 'base64'));
    const verified = await awsCli(t.url, [
      'kms',
      'verify',
      '--key-id',
      keyId,
      '--message',
      `fileb://${messageFile}`,
      '--signature',
      `fileb://${signatureFile}`,
      '--signing-algorithm',
      'ML_DSA_SHAKE_256',
    ]);
    expect(verified.code, verified.stderr).toBe(0);
    expect((verified.json as { SignatureValid: boolean }).SignatureValid).toBe(true);
    const pub = await awsCli(t.url, ['kms', 'get-public-key', '--key-id', keyId]);
    const publicKey = decodeSpki(Buffer.from((pub.json as { PublicKey: string }).PublicKey, 'base64')).key;
    expect(ml_dsa65.verify(Buffer.from(signature, 'base64'), Buffer.from('signed by the CLI'), publicKey)).toBe(true);
  });
});
