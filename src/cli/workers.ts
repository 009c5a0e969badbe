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
    worker.on('message', (message: unknown) => {
      if (!isListening(message)) return;
      started.add(worker);
      if (!announced && started.size >= o.workers) {
        announced = true;
        o.onReady(message.url);
      }
    });
    worker.on('exit', (code, signal) => {
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
