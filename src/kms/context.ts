/** What every KMS operation handler receives besides its input. */
import type { Clock } from '../core/clock.js';
import type { KmsOperationName } from '../generated/kms.js';
import type { Scope, Store } from '../store/store.js';
import type { SymmetricKeyBackend } from '../keystores/key-backend.js';
import type { LocalKeyBackend } from '../keystores/local-key-backend.js';
import type { CloudHsmKeyBackend } from '../keystores/cloudhsm-key-backend.js';
import type { XksKeyStores } from '../keystores/xks-key-backend.js';
import type { Principal } from '../auth/principal.js';
import type { PrincipalExists } from '../auth/known-principals.js';
import type { AuditRecord } from '../core/endpoint.js';
import type { ResourceQuotas } from './quotas.js';
import type { RequestThrottle } from './request-throttle.js';
import type { KeyImports } from '../keystores/key-imports.js';
import type { KeyLastUsageTracker } from './key-last-usage.js';
import type { Log } from '../core/log.js';

export interface KmsDeps {
  store: Store;
  clock: Clock;
  /** Origin AWS_KMS material. */
  localKeys: LocalKeyBackend;
  /** Wrapping keys and import tokens for origin EXTERNAL (GetParametersForImport, ImportKeyMaterial). */
  imports: KeyImports;
  /** The last cryptographic use of each key (GetKeyLastUsage), kept in memory and flushed. */
  keyUsage: KeyLastUsageTracker;
  /** The backend for keys in a custom key store, when that feature is wired in. */
  customKeyStoreBackend?: CustomKeyStoreBackend;
  /** CloudHSM key stores: cluster checks, the kmsuser session, HSM keys (cloudhsm-cluster-rules.ts, key-store-transitions.ts). */
  cloudHsmKeyStores?: CloudHsmKeyBackend;
  /** External key stores: the XKS proxy client and double encryption (xks-key-stores.ts). */
  xksKeyStores?: XksKeyStores;
  /**
   * How often a CONNECTED external key store's proxy gets a `KmsHealthCheck` GetHealthStatus,
   * on the service clock (AWS: every few minutes). 0 turns the checks off.
   */
  xksHealthCheckIntervalMs?: number;
  /** How long ConnectCustomKeyStore/DisconnectCustomKeyStore stay in CONNECTING/DISCONNECTING, on the service clock. */
  keyStoreTransitionMs?: number;
  /** Whether a principal named in a key policy exists (configured IAM users and roles). */
  principalExists?: PrincipalExists;
  /** Resource quotas (keys, aliases, grants, tags, ...); AWS's defaults when absent. */
  quotas?: ResourceQuotas;
  /** Request (rate) quotas, present only when they are enforced. */
  throttle?: RequestThrottle;
  /**
   * How long a new multi-Region replica stays Creating, and a primary/replica pair Updating
   * after UpdatePrimaryRegion, on the service clock. 0 ends them right after the call.
   */
  multiRegionTransitionMs?: number;
  /** Where background work started by a request (a key store's connect) reports its failures. */
  log?: Log;
}

/** Keys in custom key stores: their material and their store's availability. */
export interface CustomKeyStoreBackend extends SymmetricKeyBackend {
  /** Whether the store is CONNECTED (its keys are usable); false means the key is Unavailable. */
  isConnected(scope: Scope, customKeyStoreId: string): Promise<boolean>;
}

export interface KmsContext {
  scope: Scope;
  /** The caller's ARN (= principal.arn): `arn:aws:iam::<account>:root` for account credentials. */
  principalArn: string;
  principal: Principal;
  /** aws:SourceIp: the client's address as the socket sees it. */
  sourceIp: string;
  /** aws:SecureTransport: the request came over TLS. */
  secureTransport: boolean;
  /** The authorizer appends the decided resource ARN(s) here, for the audit log. */
  audit: AuditRecord;
  /** The operation being run and its decoded input: what its declared authorization reads. */
  operation: KmsOperationName;
  input: Readonly<Record<string, unknown>>;
  /** The request's time on the service clock. */
  now: Date;
  requestId: string;
  deps: KmsDeps;
}

export type KmsHandler<I, O> = (input: I, ctx: KmsContext) => Promise<O>;
