/**
 * The part of a store's change feed (store.ts ChangeFeed) that both backends share: the
 * listeners, the count of open transactions, and the backend's own way to learn of writes
 * made elsewhere (`syncWithOthers`: SQLite's data_version, PostgreSQL's listener state).
 */
import type { ChangeFeed, RowChange, Scope } from './store.js';

export class ChangeFeedHub implements ChangeFeed {
  private readonly listeners = new Set<(change: RowChange | undefined) => void>();
  private openTransactions = 0;

  /**
   * `syncWithOthers` returns whether a cache may be trusted; it may call `emit` first.
   * `inCallersTransaction` says whether the calling async context is inside a transaction.
   */
  constructor(
    private readonly inCallersTransaction: () => boolean,
    private readonly syncWithOthers: () => boolean = () => true,
  ) {}

  insideTransaction(): boolean {
    return this.openTransactions > 0 && this.inCallersTransaction();
  }

  subscribe(listener: (change: RowChange | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  sync(): boolean {
    return this.syncWithOthers();
  }

  get inTransaction(): boolean {
    return this.openTransactions > 0;
  }

  /** A row written, or (undefined) any row. */
  emit(change: RowChange | undefined): void {
    for (const listener of this.listeners) listener(change);
  }

  written(table: string, scope: Scope, id: string): void {
    if (this.listeners.size > 0) this.emit({ table, scope: { account: scope.account, region: scope.region }, id });
  }

  transactionStarted(): void {
    this.openTransactions++;
  }

  transactionEnded(): void {
    this.openTransactions--;
  }
}
