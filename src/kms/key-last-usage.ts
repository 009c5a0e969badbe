/**
 * The last successful cryptographic use of each KMS key (GetKeyLastUsage), without a store
 * write per request: a use is noted in memory, and the periodic task writes a key's latest
 * use at most once per flush interval (one minute) per key, and every pending use at
 * shutdown. A crash can lose at most the last interval's uses (docs/compatibility.md).
 *
 * Several kmsd nodes may share the store: a flush keeps whichever use is later, and a read
 * takes the later of this node's unflushed use and the stored one.
 */
import type { KeyLastUsageTrackingOperation } from '../generated/kms.js';
import type { Scope, Store, Table } from '../store/store.js';
import { keyTable } from './keys.js';

export interface KeyUsage {
  operation: KeyLastUsageTrackingOperation;
  /** epoch ms, service clock */
  timestamp: number;
  requestId: string;
}

interface Pending {
  scope: Scope;
  keyId: string;
  usage: KeyUsage;
}

export const KEY_USAGE_FLUSH_INTERVAL_MS = 60_000;
const META_SCOPE: Scope = { account: '', region: '' };
const TRACKING_START_ID = 'key-usage-tracking-start';

export class KeyLastUsageTracker {
  private readonly table: Table<KeyUsage>;
  /** Uses not yet written, by `account/region/keyId`. */
  private readonly pending = new Map<string, Pending>();
  /** When each key was last written (monotonic ms), for keys written in the last interval. */
  private readonly flushedAt = new Map<string, number>();
  private trackingStart: number | undefined;

  constructor(
    private readonly store: Store,
    private readonly intervalMs = KEY_USAGE_FLUSH_INTERVAL_MS,
    private readonly monotonicNow: () => number = () => performance.now(),
  ) {
    this.table = store.table<KeyUsage>('kms_key_last_usage');
  }

  /**
   * Records when tracking began in this data directory (the first start with this feature),
   * which GetKeyLastUsage reports as TrackingStartDate for keys created before it.
   */
  async start(now: Date): Promise<void> {
    const meta = this.store.table<{ time: number }>('kmsd_meta');
    this.trackingStart = await this.store.transaction(async () => {
      const row = await meta.get(META_SCOPE, TRACKING_START_ID);
      if (row) return row.time;
      await meta.put(META_SCOPE, TRACKING_START_ID, { time: now.getTime() });
      return now.getTime();
    });
  }

  /** The later of when tracking began and when the key was created. */
  trackingStartFor(keyCreationDate: number): number {
    return Math.max(this.trackingStart ?? keyCreationDate, keyCreationDate);
  }

  /** Called after each successful cryptographic operation; memory only. */
  record(scope: Scope, keyId: string, usage: KeyUsage): void {
    const id = idOf(scope, keyId);
    const previous = this.pending.get(id);
    if (!previous || previous.usage.timestamp <= usage.timestamp) this.pending.set(id, { scope, keyId, usage });
  }

  async lastUsage(scope: Scope, keyId: string): Promise<KeyUsage | undefined> {
    const unflushed = this.pending.get(idOf(scope, keyId))?.usage;
    const stored = await this.table.get(scope, keyId);
    return later(unflushed, stored);
  }

  /** The periodic task: writes each key whose last write is at least one interval old. */
  async flushDue(): Promise<void> {
    const now = this.monotonicNow();
    for (const [id, at] of this.flushedAt) if (now - at >= this.intervalMs) this.flushedAt.delete(id);
    for (const [id, entry] of [...this.pending]) {
      if (this.flushedAt.has(id)) continue;
      await this.write(id, entry);
      this.flushedAt.set(id, now);
    }
  }

  /** At shutdown: every pending use, whatever the interval. */
  async flushAll(): Promise<void> {
    for (const [id, entry] of [...this.pending]) await this.write(id, entry);
  }

  /** Final deletion of a key: its record goes with it (inside the deletion's transaction). */
  async forget(scope: Scope, keyId: string): Promise<void> {
    this.pending.delete(idOf(scope, keyId));
    await this.table.delete(scope, keyId);
  }

  private async write(id: string, entry: Pending): Promise<void> {
    this.pending.delete(id);
    try {
      await this.store.transaction(async () => {
        if (!(await keyTable(this.store).get(entry.scope, entry.keyId))) return; // deleted meanwhile
        const stored = await this.table.get(entry.scope, entry.keyId);
        if (later(entry.usage, stored) === entry.usage) await this.table.put(entry.scope, entry.keyId, entry.usage);
      });
    } catch (err) {
      // Not lost: kept for the next flush, unless a newer use arrived meanwhile.
      if (!this.pending.has(id)) this.pending.set(id, entry);
      throw err;
    }
  }
}

function idOf(scope: Scope, keyId: string): string {
  return `${scope.account}/${scope.region}/${keyId}`;
}

function later(a: KeyUsage | undefined, b: KeyUsage | undefined): KeyUsage | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.timestamp > a.timestamp ? b : a;
}
