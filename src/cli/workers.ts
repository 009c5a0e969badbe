/**
 * `kmsd serve --workers N`: N kmsd processes answering on one port (node:cluster). The primary
 * serves nothing itself. It prepares the store once (data directory, root key, migrations,
 * root-key check) so that workers starting together never race for it, then forks the workers,
 * prints the endpoint once all of them listen, starts a new worker when one dies, and passes
 * SIGTERM/SIGINT on for a clean stop. Workers share the store: SQLite's file (one writer at a
 * time, store/sqlite-store.ts) or PostgreSQL (each worker is then a node like any other).
 */
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { UsageError } from './usage.js';

/** What a worker tells the primary once it listens. */
interface ListeningMessage {
  kmsd: 'listening';
  url: string;
}

/** node:cluster's own IPC messages (lib/internal/cluster/round_robin_handle.js, child.js). */
interface ClusterMessage {
  cmd?: string;
  /** 'newconn': the primary hands the worker a connection, numbered `seq`. */
  act?: string;
  seq?: number;
  /** The worker's answer to message number `ack`: it took the connection (or passed it back). */
  ack?: number;
}

interface Closable {
  close(): void;
}

/**
 * Watches the connections node:cluster's primary hands `worker`; the returned function closes
 * those the worker never answered for. The primary accepts each connection and passes it to a
 * worker over IPC, keeping its own copy until the worker answers. A worker that dies before
 * answering (SIGKILL, a crash) never does, and node then neither closes that copy nor passes it
 * on: the client's request waits forever (nodejs/node-v0.x-archive#7006, still so on Node 20:
 * about one SIGKILL in three under load left a connection hanging). Closed, the client sees the
 * connection end unanswered, and retries. Relies on the shape of node's cluster messages; if
 * that changes, nothing is tracked and nothing closed.
 */
function trackHandoffs(worker: Worker): () => void {
  const untaken = new Map<number, Closable>();
  const proc = worker.process;
  const send = proc.send.bind(proc) as (...args: unknown[]) => boolean;
  proc.send = ((message: unknown, handle?: unknown, ...rest: unknown[]) => {
    const m = message as ClusterMessage | null;
    if (m?.cmd === 'NODE_CLUSTER' && m.act === 'newconn' && typeof m.seq === 'number' && isClosable(handle)) untaken.set(m.seq, handle);
    return send(message, handle, ...rest);
  }) as typeof proc.send;
  proc.on('internalMessage', (m: ClusterMessage | null) => {
    if (m?.cmd === 'NODE_CLUSTER' && typeof m.ack === 'number') untaken.delete(m.ack);
  });
  return () => {
    for (const handle of untaken.values()) handle.close();
    untaken.clear();
  };
}

function isClosable(handle: unknown): handle is Closable {
  return typeof handle === 'object' && handle !== null && typeof (handle as Closable).close === 'function';
}

function isListening(message: unknown): message is ListeningMessage {
  return typeof message === 'object' && message !== null && (message as ListeningMessage).kmsd === 'listening';
}

/** `--workers`: a positive whole number, or `auto` for one per CPU the process may use. */
export function parseWorkers(value: string | undefined): number {
  if (value === undefined) return 1;
  if (value.trim() === 'auto') return availableParallelism();
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new UsageError(`--workers needs a positive whole number or auto, not ${value}`);
  }
  return Number(value);
}

/** In a worker: the primary prints the endpoint, so tell it instead of printing. */
export function reportListening(url: string): void {
  const message: ListeningMessage = { kmsd: 'listening', url };
  process.send?.(message);
}

export function isWorker(): boolean {
  return cluster.isWorker;
}

export interface PrimaryOptions {
  workers: number;
  /** Passed to every worker (the root key, taken out of the primary's own environment). */
  env: Record<string, string>;
  /** Printed once, with the URL, when every worker listens. */
  onReady(url: string): void;
}

/**
 * Forks and supervises the workers; resolves with the exit code once they have all stopped.
 * A worker that dies while serving is replaced; one that fails to start stops them all (a
 * configuration error would otherwise restart forever).
 */
export function runPrimary(o: PrimaryOptions): Promise<number> {
  const started = new Set<Worker>();
  let stopping = false;
  let exitCode = 0;
  let announced = false;
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  const fork = () => {
    const worker = cluster.fork(o.env);
    const closeUntaken = trackHandoffs(worker);
    // node:cluster reports a failed IPC write (a connection handed to a worker that just died:
    // EPIPE) as an 'error' event on the worker; with no listener it would end the primary, and
    // every worker with it. The dead worker's 'exit' follows and replaces it.
    worker.on('error', (err: Error) => process.stderr.write(`kmsd: worker ${worker.process.pid}: ${err.message}\n`));
    worker.on('message', (message: unknown) => {
      if (!isListening(message)) return;
      started.add(worker);
      if (!announced && started.size >= o.workers) {
        announced = true;
        o.onReady(message.url);
      }
    });
    worker.on('exit', (code, signal) => {
      closeUntaken();
      const wasServing = started.delete(worker);
      const alive = Object.keys(cluster.workers ?? {}).length;
      if (stopping) {
        if (code !== 0 && code !== null) exitCode = 1;
        if (alive === 0) resolveDone(exitCode);
        return;
      }
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (!wasServing) {
        process.stderr.write(`kmsd: worker ${worker.process.pid} failed to start (${how}); stopping\n`);
        exitCode = 1;
        stop();
        if (alive === 0) resolveDone(exitCode);
        return;
      }
      process.stderr.write(`kmsd: worker ${worker.process.pid} exited (${how}); starting another\n`);
      fork();
    });
  };

  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  const onSignal = (signal: string) => {
    if (stopping) return;
    process.stdout.write(`${signal} received; finishing requests in flight\n`);
    stop();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  for (let i = 0; i < o.workers; i++) fork();
  return done;
}
