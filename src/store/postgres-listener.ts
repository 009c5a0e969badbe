/**
 * PostgreSQL's side of the change feed (store.ts ChangeFeed): one dedicated connection that
 * LISTENs on the channel the kmsd_rows trigger notifies (migrations.ts, version 2) on each
 * committed write, and hands each change to the feed.
 *
 * A cache may trust the feed only while it is sure it misses nothing: the connection is up,
 * and a round trip on it (a ping every PING_MS) completed recently. PostgreSQL delivers a
 * listener's pending notifications before the answer to its next query, so a ping sent at
 * time t that came back means every write committed before t has been reported. The feed
 * is trusted until TRUST_MS after the last such t: a change committed on another node is
 * seen here within TRUST_MS, even if the connection hangs silently, since the cache is then
 * bypassed. When the connection drops, it reconnects, and (having missed notifications)
 * forgets every cached row first.
 */
import type { Socket } from 'node:net';
import pg from 'pg';
import type { ChangeFeedHub } from './change-feed.js';

export const CHANGES_CHANNEL = 'kmsd_rows';
const PING_MS = 250;
/** How long after a ping was sent its answer vouches for the cache (the bound of docs/compatibility.md). */
export const TRUST_MS = 750;
const RECONNECT_MS = 250;
/** How the listening connection shows in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'kmsd change feed';

export class PostgresChangeListener {
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** performance clock: when the last ping that came back was sent; -Infinity: never. */
  private confirmedAt = -Infinity;
  private closed = false;

  constructor(
    private readonly connectionString: string,
    private readonly feed: ChangeFeedHub,
  ) {}

  /** Whether every change committed until TRUST_MS ago has reached the feed. */
  trusted(): boolean {
    return this.client !== undefined && performance.now() - this.confirmedAt < TRUST_MS;
  }

  /** Connects and listens; later failures are retried in the background. */
  async start(): Promise<void> {
    await this.connect();
    this.schedule(PING_MS);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.connectionString,
      connectionTimeoutMillis: 5_000,
      application_name: LISTENER_APPLICATION_NAME,
    });
    client.on('notification', (message) => this.onNotification(message.payload));
    // A dropped connection: stop trusting the feed now; the next tick reconnects.
    const lost = () => {
      if (this.client === client) this.client = undefined;
    };
    client.on('error', lost);
    client.on('end', lost);
    await client.connect();
    // The feed alone must not keep the process alive (a node that fails to start exits).
    const socket = client.connection.stream as Partial<Socket>;
    socket.unref?.();
    const sentAt = performance.now();
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    // Whatever was written while no one listened is unknown: every cached row goes.
    this.feed.emit(undefined);
    this.client = client;
    this.confirmedAt = sentAt;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    // Pings alone must not keep the process alive.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const client = this.client;
    try {
      if (!client) {
        await this.connect();
      } else {
        const sentAt = performance.now();
        await client.query('SELECT 1');
        if (this.client === client) this.confirmedAt = sentAt;
      }
      this.schedule(PING_MS);
    } catch {
      if (this.client === client) this.client = undefined;
      await client?.end().catch(() => undefined);
      this.schedule(RECONNECT_MS);
    }
  }

  private onNotification(payload: string | undefined): void {
    try {
      const [table, account, region, id] = JSON.parse(payload ?? '') as string[];
      this.feed.emit({ table, scope: { account, region }, id });
    } catch {
      this.feed.emit(undefined);
    }
  }
}
