/**
 * The seam between the CloudHSM V2 API side (clusters, HSMs, backups) and the emulated HSMs'
 * contents (users, passwords, sessions, keys: src/cloudhsm/hsm/). The API side calls these
 * at the points where real CloudHSM moves contents around.
 */
import type { Scope } from '../store/store.js';

export interface HsmContents {
  /**
   * The first HSM of a new (not restored) cluster came up: create the initial contents,
   * i.e. the unactivated `admin` user with password `password` and no keys.
   */
  initialize(scope: Scope, clusterId: string): Promise<void>;
  /**
   * A backup is being taken: return everything needed to restore users (with the password
   * hashes they have now) and keys (material still protected, never plaintext).
   */
  snapshot(scope: Scope, clusterId: string): Promise<string>;
  /** A cluster created from a backup got its first HSM: load the backup's contents. */
  restore(scope: Scope, clusterId: string, snapshot: string): Promise<void>;
  /** The cluster was deleted: drop its contents and end its sessions. */
  destroy(scope: Scope, clusterId: string): Promise<void>;
}
