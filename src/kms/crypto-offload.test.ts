/**
 * The job table and what crosses the thread boundary. Under vitest every job runs inline (the
 * pool needs dist/: test/crypto-offload.test.ts covers it against the built kmsd), through the
 * same runJob a worker runs, so the wire form, the zeroing and the error classes are checked here.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UnsupportedOperationException } from '../generated/kms.js';
import { offload, offloadedJobCounts } from './crypto-offload.js';
import { runJob, toWire } from './crypto-worker.js';
import { mlDsaVerify, newMlDsaKey } from './ml-dsa.js';

describe('crypto jobs off the event loop (inline under vitest)', () => {
  it('signs as the function itself does, leaves the caller its own buffers and counts no pool job', async () => {
    const { pkcs8, spki } = newMlDsaKey('ML_DSA_44');
    const keyCopy = Buffer.from(pkcs8);
    const message = Buffer.from('message');
    const signature = await offload('mlDsaSign', 'ML_DSA_44', pkcs8, 'RAW', message);
    expect(Buffer.isBuffer(signature)).toBe(true);
    expect(mlDsaVerify('ML_DSA_44', spki, 'RAW', message, signature)).toBe(true);
    expect(await offload('mlDsaVerify', 'ML_DSA_44', spki, 'RAW', message, signature)).toBe(true);
    // The caller zeroes its key (withPrivateKeyDer); the job had a copy of its own.
    expect(pkcs8.equals(keyCopy)).toBe(true);
    expect(message.toString()).toBe('message');
    expect(offloadedJobCounts().size).toBe(0);
  });

  it('zeroes the copies it was given and the result it copied out', () => {
    const { pkcs8 } = newMlDsaKey('ML_DSA_44');
    const transfer: ArrayBuffer[] = [];
    const args = toWire(['ML_DSA_44', pkcs8, 'RAW', Buffer.from('m')], transfer, false) as unknown[];
    expect(transfer).toHaveLength(2);
    // Each copy has an ArrayBuffer of exactly its own bytes: nothing of a shared Buffer pool crosses.
    expect(transfer.map((b) => b.byteLength)).toEqual([pkcs8.length, 1]);
    const { outcome, transfer: out } = runJob({ job: 'mlDsaSign', args });
    expect((args[1] as Uint8Array).every((b) => b === 0)).toBe(true);
    expect(outcome).toEqual({ value: expect.any(Uint8Array) });
    expect(out).toHaveLength(1);
  });

  it('throws the API error class the function throws', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const digest = createHash('sha512').update('m').digest();
    const job = offload('signDigest', { hash: null, digestBytes: 64, kind: 'ed25519' }, privateKey, digest);
    await expect(job).rejects.toBeInstanceOf(UnsupportedOperationException);
    await expect(job).rejects.toThrow('kmsd supports MessageType DIGEST only with RSA and ECDSA signing algorithms.');
  });

  it('passes any other error on with its message', async () => {
    await expect(offload('mlDsaSign', 'ML_DSA_44', Buffer.alloc(10), 'RAW', Buffer.from('m'))).rejects.toThrow(
      'stored ML_DSA_44 private key is not in the expected PKCS#8 seed form',
    );
  });
});
