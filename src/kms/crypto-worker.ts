/**
 * The worker-thread side of kmsd's crypto pool (crypto-offload.ts): a table of named jobs, each
 * a pure function of digest-signing.ts, ml-dsa.ts or sm2.ts, or a single node:crypto call. This
 * file is the pool's worker entry (dist/kms/crypto-worker.js); runJob is also what the calling
 * thread runs when there is no pool (under vitest), so both paths run the same code.
 *
 * What crosses between the threads (structured clone):
 * - a Buffer goes as an exact copy in an ArrayBuffer of its own, transferred, never the Buffer
 *   itself: a small Buffer is a slice of a shared 8 KiB pool, and cloning it would copy the whole
 *   pool, with whatever else (other keys, other requests) it holds. After the job, the worker
 *   zeroes every input copy (private keys as PKCS#8 among them) and the job's own result buffers
 *   once they are copied out, so no key material or plaintext stays in the worker's heap;
 * - a KeyObject is cloned by Node as a reference to the same key, not as bytes;
 * - a ServiceError (an API error such as UnsupportedOperationException) comes back as its code,
 *   message and status, and crypto-offload.ts throws the same class again; any other error
 *   reaches the caller as an Error with its message, which the gateway answers as
 *   KMSInternalException exactly as it does for the error itself.
 */
import { diffieHellman } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { ServiceError } from '../core/service-error.js';
import { signDigest, verifyDigest } from './digest-signing.js';
import { mlDsaSign, mlDsaVerify, newMlDsaKey } from './ml-dsa.js';
import type { MlDsaKeySpec } from './key-specs.js';
import { sm2Decrypt, sm2Encrypt, sm2SharedSecret, sm2Sign, sm2Verify } from './sm2.js';

/** Every job that can leave the event loop; each takes milliseconds of CPU (README, Performance). */
export const JOBS = {
  signDigest,
  verifyDigest,
  // A new ML-DSA key pair: the seed comes from the worker's randomBytes, never as an argument.
  newMlDsaKey: (spec: MlDsaKeySpec) => newMlDsaKey(spec),
  mlDsaSign,
  mlDsaVerify,
  sm2Sign,
  sm2Verify,
  sm2Encrypt,
  sm2Decrypt,
  sm2SharedSecret,
  // node:crypto has no asynchronous ECDH: P-384 and P-521 take milliseconds.
  ecdh: (privateKey: KeyObject, publicKey: KeyObject) => diffieHellman({ privateKey, publicKey }),
};

export type JobName = keyof typeof JOBS;
export type JobArgs<J extends JobName> = Parameters<(typeof JOBS)[J]>;
export type JobResult<J extends JobName> = ReturnType<(typeof JOBS)[J]>;

export interface JobMessage {
  job: JobName;
  /** The job's arguments as toWire made them. */
  args: unknown[];
}

export type JobOutcome = { value: unknown } | { serviceError: { code: string; message: string; status: number } };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * `value` ready to post: each Buffer (at any depth of arrays and plain objects) copied into an
 * ArrayBuffer of its own, which is added to `transfer`; with `zeroSource`, the original is zeroed.
 * Anything else (strings, booleans, KeyObjects) is left to structured clone.
 */
export function toWire(value: unknown, transfer: ArrayBuffer[], zeroSource: boolean): unknown {
  if (value instanceof Uint8Array) {
    const copy = new Uint8Array(value);
    if (zeroSource) value.fill(0);
    transfer.push(copy.buffer);
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => toWire(v, transfer, zeroSource));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWire(v, transfer, zeroSource)]));
  return value;
}

/** The received form again: the Uint8Arrays structured clone delivers become Buffers (no copy). */
export function fromWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(fromWire);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromWire(v)]));
  return value;
}

function zeroBuffers(value: unknown): void {
  if (value instanceof Uint8Array) value.fill(0);
  else if (Array.isArray(value)) value.forEach(zeroBuffers);
  else if (isPlainObject(value)) Object.values(value).forEach(zeroBuffers);
}

/** Runs one job on this thread; the outcome's buffers are to be transferred (`transfer`). */
export function runJob({ job, args }: JobMessage): { outcome: JobOutcome; transfer: ArrayBuffer[] } {
  if (!Object.hasOwn(JOBS, job)) throw new Error(`no crypto job named ${String(job)}`);
  const input = fromWire(args) as unknown[];
  try {
    const value = (JOBS[job] as (...jobArgs: unknown[]) => unknown)(...input);
    const transfer: ArrayBuffer[] = [];
    return { outcome: { value: toWire(value, transfer, true) }, transfer };
  } catch (err) {
    // API errors keep their class across the thread boundary (crypto-offload.ts rebuilds them).
    if (err instanceof ServiceError)
      return { outcome: { serviceError: { code: err.code, message: err.message, status: err.status } }, transfer: [] };
    throw err;
  } finally {
    zeroBuffers(input);
  }
}

/** The pool's entry point (piscina calls the default export): the outcome's buffers are moved, not copied. */
export default function handle(message: JobMessage): unknown {
  const { outcome, transfer } = runJob(message);
  return move({ [transferableSymbol]: transfer, [valueSymbol]: outcome });
}
