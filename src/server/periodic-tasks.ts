/**
 * kmsd's background work on the service clock: deletion windows and rotations, CloudHSM
 * transitions, backups and purges, custom key store transitions and sessions, and the
 * GetKeyLastUsage flush. Each task claims its rows in the store (claimDue), so several nodes
 * or workers sharing a store never do the same work twice; nothing here scans every row.
 */
import type { Clock } from '../core/clock.js';
import type { Log } from '../core/log.js';
import type { CloudHsmDeps } from '../cloudhsm/context.js';
import { cloudHsmSweeper } from '../cloudhsm/service.js';
import type { KmsDeps } from '../kms/context.js';
import { reconcileKeyStoreSessions, runKeyStoreTransitions } from '../kms/key-store-transitions.js';
import { sweepKeys } from '../kms/sweeper.js';

/** One piece of background work, given the service clock's time. */
export type PeriodicTask = (now: Date) => Promise<void>;

/** How often the tasks run (each run does only what has come due). */
export const TICK_MS = 1000;

/** kmsd's tasks, in the order each tick runs them. */
export function kmsdTasks(kmsDeps: KmsDeps, cloudHsmDeps: CloudHsmDeps, log: Log): PeriodicTask[] {
  return [
    // Also the periodic health checks of connected external key stores (claimed: one node each).
    function customKeyStoreTransitions() {
      return runKeyStoreTransitions(kmsDeps);
    },
    // Connects and disconnects completed through other nodes sharing the store.
    function customKeyStoreSessions() {
      return reconcileKeyStoreSessions(kmsDeps);
    },
    // Deletion windows and automatic rotations that the service clock has passed.
    function sweepKmsKeys(now) {
      return sweepKeys(kmsDeps, now);
    },
    cloudHsmSweeper(cloudHsmDeps, log),
    // GetKeyLastUsage: writes each key's latest use at most once a minute.
    function flushKeyLastUsage() {
      return kmsDeps.keyUsage.flushDue();
    },
  ];
}

/**
 * Runs the tasks every TICK_MS, one run at a time: a run that takes longer than a tick delays
 * the next rather than overlapping it. A failing task is logged and the others still run.
 */
export class PeriodicTaskRunner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly tasks: PeriodicTask[],
    private readonly clock: Clock,
    private readonly log: Log,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runNow(), TICK_MS);
    // Background work never keeps the process alive by itself.
    this.timer.unref();
  }

  /** One run after any run in progress; resolves when it is done (tests move the clock, then run). */
  runNow(): Promise<void> {
    this.running = this.running.then(async () => {
      for (const task of this.tasks) {
        try {
          await task(this.clock.now());
        } catch (err) {
          this.log({ level: 'error', msg: 'background task failed', task: task.name, err });
        }
      }
    });
    return this.running;
  }

  /** No new runs; resolves once the run in progress (if any) has finished. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
