/**
 * The emulated HSMs' contents: users (admin, crypto-user) with hashed passwords, sessions and
 * lockout; AES-256 keys owned by crypto users; snapshots for backups. Implements both seams:
 * HsmContents (for the CloudHSM V2 API side) and CloudHsmClusters (for KMS custom key stores).
 *
 * PLACEHOLDER until the hsm-core work lands: every method fails loudly, nothing succeeds.
 */
import type { Clock } from '../../core/clock.js';
import type { RootKey } from '../../keystores/root-key.js';
import type { Store } from '../../store/store.js';
import type { HsmContents } from '../hsm-contents.js';
import type { CloudHsmClusters } from '../../keystores/cloudhsm-clusters.js';

export interface HsmModuleDeps {
  store: Store;
  clock: Clock;
  rootKey: RootKey;
}

export type HsmModule = HsmContents & CloudHsmClusters;

export function createHsmModule(deps: HsmModuleDeps): HsmModule {
  void deps;
  const fail = async (): Promise<never> => {
    throw new Error('the emulated HSM module is not built yet');
  };
  return {
    initialize: fail,
    snapshot: fail,
    restore: fail,
    destroy: fail,
    describeCluster: fail,
    login: fail,
    changePassword: fail,
    logout: fail,
    generateAesKey: fail,
    findKeyByLabel: fail,
    encrypt: fail,
    decrypt: fail,
    deleteKey: fail,
    random: fail,
  };
}
