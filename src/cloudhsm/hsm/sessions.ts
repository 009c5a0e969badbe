/**
 * Login sessions, in memory: like a real HSM's, they end when kmsd restarts or the cluster
 * is deleted. `kms` sessions are AWS KMS's (a connected custom key store); `cli` sessions
 * are opened by `kmsd hsm login` and stay open until `kmsd hsm logout`.
 */
import { randomUUID } from 'node:crypto';
import type { Scope } from '../../store/store.js';
import type { HsmRole } from './tables.js';

export interface HsmSession {
  id: string;
  scope: Scope;
  clusterId: string;
  username: string;
  role: HsmRole;
  holder: 'kms' | 'cli';
}

const sameCluster = (s: HsmSession, scope: Scope, clusterId: string): boolean =>
  s.scope.account === scope.account && s.scope.region === scope.region && s.clusterId === clusterId;

export class Sessions {
  private readonly byId = new Map<string, HsmSession>();
  private readonly closeListeners: ((id: string) => void)[] = [];

  /** `listener` learns of every session that closes (what was kept for it must go). */
  onClose(listener: (id: string) => void): void {
    this.closeListeners.push(listener);
  }

  open(session: Omit<HsmSession, 'id'>): HsmSession {
    const opened = { ...session, id: randomUUID() };
    this.byId.set(opened.id, opened);
    return opened;
  }

  get(id: string): HsmSession | undefined {
    return this.byId.get(id);
  }

  close(id: string): void {
    if (!this.byId.delete(id)) return;
    for (const listener of this.closeListeners) listener(id);
  }

  /** The open session of a user, if any (a user has at most one). */
  ofUser(scope: Scope, clusterId: string, username: string): HsmSession | undefined {
    for (const s of this.byId.values()) {
      if (sameCluster(s, scope, clusterId) && s.username === username) return s;
    }
    return undefined;
  }

  closeCluster(scope: Scope, clusterId: string): void {
    for (const s of [...this.byId.values()]) {
      if (sameCluster(s, scope, clusterId)) this.close(s.id);
    }
  }
}
