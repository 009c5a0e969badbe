/**
 * ED25519_PH_SHA_512 (HashEdDSA) with ECC_NIST_EDWARDS25519 keys, through the JS SDK. AWS takes
 * it with MessageType DIGEST only, and still applies Ed25519ph's SHA-512 prehash to that digest
 * (so the caller's message is hashed twice). Signatures are checked with @noble/curves'
 * ed25519ph on the public key GetPublicKey returns.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ed25519, ed25519ph } from '@noble/curves/ed25519.js';
import { CreateKeyCommand, GetPublicKeyCommand, SignCommand, VerifyCommand } from '@aws-sdk/client-kms';
import type { KMSClient, MessageType, SigningAlgorithmSpec } from '@aws-sdk/client-kms';
import { startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';

let t: TestKmsd;
let kms: KMSClient;
let keyId: string;
let keyArn: string;
let rawPublicKey: Buffer;

beforeAll(async () => {
  t = await startKmsd();
  kms = t.kms();
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }));
  keyId = KeyMetadata?.KeyId ?? '';
  keyArn = KeyMetadata?.Arn ?? '';
  const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  const jwk = createPublicKey({ key: Buffer.from(PublicKey ?? new Uint8Array()), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  rawPublicKey = Buffer.from(jwk.x ?? '', 'base64url');
});
afterAll(async () => t.close());

function sign(Message: Buffer, SigningAlgorithm: SigningAlgorithmSpec, MessageType: MessageType) {
  return kms.send(new SignCommand({ KeyId: keyId, Message, MessageType, SigningAlgorithm }));
}

describe('ED25519_PH_SHA_512', () => {
  it('signs a SHA-512 digest; @noble/curves ed25519ph verifies it over that digest', async () => {
    const digest = createHash('sha512').update('a message hashed by the caller').digest();
    const out = await sign(digest, 'ED25519_PH_SHA_512', 'DIGEST');
    expect(out).toMatchObject({ KeyId: keyArn, SigningAlgorithm: 'ED25519_PH_SHA_512' });
    const signature = Buffer.from(out.Signature ?? new Uint8Array());
    expect(signature.length).toBe(64);
    expect(ed25519ph.verify(signature, digest, rawPublicKey)).toBe(true);
    // Not a pure Ed25519 signature of the digest: the domain separation of Ed25519ph applies.
    expect(ed25519.verify(signature, digest, rawPublicKey)).toBe(false);
    const verified = await kms.send(
      new VerifyCommand({
        KeyId: keyId,
        Message: digest,
        MessageType: 'DIGEST',
        Signature: signature,
        SigningAlgorithm: 'ED25519_PH_SHA_512',
      }),
    );
    expect(verified.SignatureValid).toBe(true);
  });

  it('a signature is not valid for another digest', async () => {
    const digest = createHash('sha512').update('one').digest();
    const other = createHash('sha512').update('two').digest();
    const signature = Buffer.from((await sign(digest, 'ED25519_PH_SHA_512', 'DIGEST')).Signature ?? new Uint8Array());
    await expect(
      kms.send(
        new VerifyCommand({
          KeyId: keyId,
          Message: other,
          MessageType: 'DIGEST',
          Signature: signature,
          SigningAlgorithm: 'ED25519_PH_SHA_512',
        }),
      ),
    ).rejects.toMatchObject({ name: 'KMSInvalidSignatureException' });
  });

  it('takes only MessageType DIGEST with a 64-byte digest; pure Ed25519 takes only RAW', async () => {
    await expect(sign(Buffer.from('raw message'), 'ED25519_PH_SHA_512', 'RAW')).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'MessageType RAW is not valid for algorithm ED25519_PH_SHA_512.',
    });
    await expect(sign(Buffer.alloc(32), 'ED25519_PH_SHA_512', 'DIGEST')).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Digest is invalid length for algorithm ED25519_PH_SHA_512.',
    });
    await expect(sign(Buffer.alloc(64), 'ED25519_SHA_512', 'DIGEST')).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'MessageType DIGEST is not valid for algorithm ED25519_SHA_512.',
    });
    const pure = await sign(Buffer.from('raw message'), 'ED25519_SHA_512', 'RAW');
    expect(ed25519.verify(Buffer.from(pure.Signature ?? new Uint8Array()), Buffer.from('raw message'), rawPublicKey)).toBe(true);
  });
});
