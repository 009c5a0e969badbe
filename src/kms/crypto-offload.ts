/**
 * CPU-heavy crypto off the event loop. Pure-JavaScript signatures (ECDSA and Ed25519ph on a
 * digest, ML-DSA, SM2) and OpenSSL calls that node:crypto offers only synchronously (a raw RSA
 * private-key operation, ECDH) take milliseconds each; on the event loop, every other client's
 * request waits that long. `offload(job, ...args)` runs one of crypto-worker.ts's jobs in a small
 * pool of worker threads (piscina) and resolves with its result, the same value or error the
 * function gives when called directly.
 *
 * The pool needs compiled JavaScript: kmsd runs from dist/, where the worker entry is
 * dist/kms/crypto-worker.js beside this module. Under vitest this module is the .ts source, and
 * a worker thread cannot load TypeScript, so there the job runs inline on the calling thread
 * (the same runJob code, without the thread hop). The pool itself is tested against the built
 * kmsd (test/crypto-offload.test.ts), through the job counts on GET /metrics.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { ServiceError } from '../core/service-error.js';
import { UnsupportedOperationException } from '../generated/kms.js';
import { fromWire, runJob, toWire } from './crypto-worker.js';
import type { JobArgs, JobMessage, JobName, JobOutcome, JobResult } from './crypto-worker.js';

/** The compiled worker entry, or undefined when this module runs from source (see above). */
const WORKER_URL = import.meta.url.endsWith('.ts') ? undefined : new URL('./crypto-worker.js', import.meta.url);

/**
 * One core is left to the event loop, which still parses, authenticates and answers every
 * request; two threads at most, so that one long job (an ML-DSA-87 signature) does not queue
 * every other behind it, while `serve --workers N` (one pool per process) does not start more
 * threads than the machine has cores to run them.
 */
const POOL_THREADS = Math.max(1, Math.min(2, availableParallelism() - 1));
/** An idle thread above the first ends after this long (each one holds its own heap). */
const IDLE_MS = 60_000;

let pool: Piscina | undefined;
/** Jobs run in the pool since start, by job name (GET /metrics: kmsd_crypto_offload_jobs_total). */
const jobCounts = new Map<JobName, number>();

/** The pool, created on first use; undefined where jobs run inline. */
function thePool(): Piscina | undefined {
  if (WORKER_URL === undefined) return undefined;
  if (pool === undefined) {
    pool = new Piscina({ filename: WORKER_URL.href, minThreads: 1, maxThreads: POOL_THREADS, idleTimeout: IDLE_MS });
    // A worker that fails outside a job is replaced by piscina; the event must have a listener,
    // else it would stop the process. Jobs in flight reject with the error themselves.
    pool.on('error', (err: Error) => process.emitWarning(`kmsd crypto worker failed: ${err.message}`));
  }
  return pool;
}

/** The API errors a job can throw, rebuilt as their own classes after crossing the thread boundary. */
const SERVICE_ERRORS: Record<string, new (message: string) => ServiceError> = { UnsupportedOperationException };

function serviceError({ code, message, status }: { code: string; message: string; status: number }): ServiceError {
  return Object.hasOwn(SERVICE_ERRORS, code) ? new SERVICE_ERRORS[code](message) : new ServiceError(code, message, status);
}

/**
 * Runs `job` off the event loop. Buffer arguments are copied into the message before this
 * returns its promise; the caller still owns (and zeroes, for key material) its own buffers.
 */
export async function offload<J extends JobName>(job: J, ...args: JobArgs<J>): Promise<JobResult<J>> {
  const transfer: ArrayBuffer[] = [];
  const message: JobMessage = { job, args: toWire(args, transfer, false) as unknown[] };
  const workers = thePool();
  let outcome: JobOutcome;
  if (workers === undefined) {
    outcome = runJob(message).outcome;
  } else {
    try {
      outcome = (await workers.run(message, { transferList: transfer })) as JobOutcome;
    } finally {
      jobCounts.set(job, (jobCounts.get(job) ?? 0) + 1);
    }
  }
  if ('serviceError' in outcome) throw serviceError(outcome.serviceError);
  return fromWire(outcome.value) as JobResult<J>;
}

/** How many jobs of each name the pool has run (none where jobs run inline). */
export function offloadedJobCounts(): ReadonlyMap<string, number> {
  return jobCounts;
}

/**
 * Ends the pool's threads once their jobs are done (kmsd's close()). A later job starts a new
 * pool: several kmsd instances in one process share it, and one stopping must not break another.
 */
export async function closeCryptoPool(): Promise<void> {
  const closing = pool;
  pool = undefined;
  await closing?.close();
}
