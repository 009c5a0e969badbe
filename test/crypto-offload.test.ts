/**
 * CPU-heavy crypto runs in kmsd's worker-thread pool (src/kms/crypto-offload.ts). In-process
 * tests run the jobs inline (a worker thread cannot load the .ts sources), so the pool is
 * tested here against the built kmsd (dist/, bin/kmsd.js). The proof is the pool's own job
 * counts on GET /metrics, never timing; the signatures it made must verify through kmsd and,
 * for RSA and ECDSA, with node:crypto on its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constants, createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient, SignCommand, VerifyCommand } from '@aws-sdk/client-kms';
import type { KeySpec, MessageType, SigningAlgorithmSpec } from '@aws-sdk/client-kms';
import { DEV, REGION } from './helpers/kmsd.js';
import { serve, stopAllProcesses } from './helpers/kmsd-process.js';
import type { Running } from './helpers/kmsd-process.js';

let server: Running;
let kms: KMSClient;
let china: KMSClient;

beforeAll(async () => {
  server = await serve(['--port', '0', '--in-memory', '--metrics']);
  kms = new KMSClient({ endpoint: server.url, region: REGION, credentials: DEV, maxAttempts: 1 });
  // SM2 keys exist only in AWS's China Regions.
  china = new KMSClient({ endpoint: server.url, region: 'cn-north-1', credentials: DEV, maxAttempts: 1 });
});

afterAll(async () => {
  kms?.destroy();
  china?.destroy();
  // A clean stop closes the pool: no worker thread holds the process.
  if (server) expect(await server.stop()).toBe(0);
  stopAllProcesses();
});

/** kmsd_crypto_offload_jobs_total by job, as GET /metrics shows it now. */
async function jobCounts(): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^kmsd_crypto_offload_jobs_total\{job="(\w+)"\} (\d+)$/gm)) counts[m[1]] = Number(m[2]);
  return counts;
}

interface Case {
  keySpec: KeySpec;
  client: () => KMSClient;
  algorithm: SigningAlgorithmSpec;
  messageType: MessageType;
  /** The hash whose digest is the DIGEST message (and node:crypto's for the independent check). */
  hash?: 'sha256' | 'sha512';
  /** The pool's jobs for Sign and for Verify. */
  jobs: [string, string];
  /** An independent verification of the message's signature, where node:crypto can do one. */
  nodeVerify?: (message: Buffer, publicKey: KeyObject, signature: Buffer) => boolean;
}

const CASES: Case[] = [
  {
    keySpec: 'RSA_4096',
    client: () => kms,
    algorithm: 'RSASSA_PSS_SHA_256',
    messageType: 'DIGEST',
    hash: 'sha256',
    jobs: ['signDigest', 'verifyDigest'],
    nodeVerify: (message, key, signature) =>
      verify('sha256', message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature),
  },
  {
    keySpec: 'ECC_NIST_P521',
    client: () => kms,
    algorithm: 'ECDSA_SHA_512',
    messageType: 'DIGEST',
    hash: 'sha512',
    jobs: ['signDigest', 'verifyDigest'],
    nodeVerify: (message, key, signature) => verify('sha512', message, { key, dsaEncoding: 'der' }, signature),
  },
  // ML-DSA takes no DIGEST (RAW or EXTERNAL_MU): every ML-DSA signature is pure JavaScript.
  { keySpec: 'ML_DSA_87', client: () => kms, algorithm: 'ML_DSA_SHAKE_256', messageType: 'RAW', jobs: ['mlDsaSign', 'mlDsaVerify'] },
  { keySpec: 'SM2', client: () => china, algorithm: 'SM2DSA', messageType: 'DIGEST', jobs: ['sm2Sign', 'sm2Verify'] },
];

describe('the built kmsd signs and verifies in its worker threads', () => {
  for (const c of CASES) {
    it(`${c.algorithm} with a ${c.keySpec} key, MessageType ${c.messageType}`, async () => {
      const client = c.client();
      const KeyId = (await client.send(new CreateKeyCommand({ KeySpec: c.keySpec, KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata?.KeyId;
      const message = randomBytes(100);
      // SM2DSA's DIGEST is the caller's 32-byte e (SM3 of Z_A ‖ M); any 32 bytes sign and verify.
      const digest = c.hash ? createHash(c.hash).update(message).digest() : c.messageType === 'DIGEST' ? randomBytes(32) : message;
      const before = await jobCounts();

      const signed = await client.send(
        new SignCommand({ KeyId, Message: digest, MessageType: c.messageType, SigningAlgorithm: c.algorithm }),
      );
      const signature = Buffer.from(signed.Signature ?? []);
      const verified = await client.send(
        new VerifyCommand({ KeyId, Message: digest, MessageType: c.messageType, SigningAlgorithm: c.algorithm, Signature: signature }),
      );
      expect(verified.SignatureValid).toBe(true);

      const after = await jobCounts();
      const [signJob, verifyJob] = c.jobs;
      expect(after[signJob]).toBe((before[signJob] ?? 0) + 1);
      expect(after[verifyJob]).toBe((before[verifyJob] ?? 0) + 1);

      if (c.nodeVerify) {
        const { PublicKey } = await client.send(new GetPublicKeyCommand({ KeyId }));
        const publicKey = createPublicKey({ key: Buffer.from(PublicKey ?? []), format: 'der', type: 'spki' });
        expect(c.nodeVerify(message, publicKey, signature)).toBe(true);
        // And a signature over another message does not verify: the check itself is not vacuous.
        expect(c.nodeVerify(randomBytes(100), publicKey, signature)).toBe(false);
      }
    });
  }

  it('refuses a changed signature through the pool as KMSInvalidSignatureException', async () => {
    const KeyId = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P521', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata?.KeyId;
    const digest = createHash('sha512').update('message').digest();
    const input = { KeyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_512' } as const;
    const signature = Buffer.from((await kms.send(new SignCommand(input))).Signature ?? []);
    signature[signature.length - 1] ^= 1;
    await expect(kms.send(new VerifyCommand({ ...input, Signature: signature }))).rejects.toMatchObject({
      name: 'KMSInvalidSignatureException',
    });
  });

  it('makes ML-DSA key pairs in the pool', async () => {
    const before = (await jobCounts()).newMlDsaKey ?? 0;
    await kms.send(new CreateKeyCommand({ KeySpec: 'ML_DSA_44', KeyUsage: 'SIGN_VERIFY' }));
    expect((await jobCounts()).newMlDsaKey).toBe(before + 1);
  });
});
