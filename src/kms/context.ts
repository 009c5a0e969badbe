/** What every KMS operation handler receives besides its input. */
import type { Clock } from '../core/clock.js';
import type { Scope, Store } from '../store/store.js';
import type { SymmetricKeyBackend } from '../keystores/key-backend.js';
import type { LocalKeyBackend } from '../keystores/local-key-backend.js';
import type { CloudHsmKeyBackend } from '../keystores/cloudhsm-key-backend.js';

export interface KmsDeps {
  store: Store;
  clock: Clock;
  /** Origin AWS_KMS material. */
  localKeys: LocalKeyBackend;
  /** The backend for keys in a custom key store, when that feature is wired in. */
  customKeyStoreBackend?: CustomKeyStoreBackend;
  /** CloudHSM key stores: cluster checks, the kmsuser session, HSM keys (custom-key-stores.ts). */
  cloudHsmKeyStores?: CloudHsmKeyBackend;
  /** How long ConnectCustomKeyStore/DisconnectCustomKeyStore stay in CONNECTING/DISCONNECTING, on the service clock. */
  keyStoreTransitionMs?: number;
  /**
   * How long a new multi-Region replica stays Creating, and a primary/replica pair Updating
   * after UpdatePrimaryRegion, on the service clock. 0 ends them right after the call.
   */
  multiRegionTransitionMs?: number;
}

/** Keys in custom key stores: their material and their store's availability. */
export interface CustomKeyStoreBackend extends SymmetricKeyBackend {
  /** Whether the store is CONNECTED (its keys are usable); false means the key is Unavailable. */
  isConnected(scope: Scope, customKeyStoreId: string): Promise<boolean>;
}

export interface KmsContext {
  scope: Scope;
  /** The caller: `arn:aws:iam::<account>:root` for account credentials. */
  principalArn: string;
  /** The request's time on the service clock. */
  now: Date;
  requestId: string;
  /** The API operation being served (named in AccessDeniedException texts). */
  operation?: string;
  deps: KmsDeps;
}

export type KmsHandler<I, O> = (input: I, ctx: KmsContext) => Promise<O>;
