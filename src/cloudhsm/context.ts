/** What every CloudHSM V2 operation handler receives besides its input. */
import type { Clock } from '../core/clock.js';
import type { RootKey } from '../keystores/root-key.js';
import type { Scope, Store } from '../store/store.js';
import type { ClusterCertificates } from './certificates.js';
import type { HsmContents } from './hsm-contents.js';
import type { Principal } from '../auth/principal.js';
import type { AuditRecord } from '../core/endpoint.js';

export interface CloudHsmDeps {
  store: Store;
  clock: Clock;
  rootKey: RootKey;
  /** The emulated HSMs' users and keys (src/cloudhsm/hsm/). */
  contents: HsmContents;
  certificates: ClusterCertificates;
  /** Subnet id -> Availability Zone from kmsd's configuration (kmsd has no EC2). */
  subnets: Record<string, string>;
  /** How long transitional states last; 0 makes them instant. */
  transitionMs: number;
  /** Names of the configured PKCS#11 tokens a new cluster may keep its KMS keys in (tag kmsd:pkcs11-token). */
  pkcs11Tokens?: ReadonlySet<string>;
}

export interface CloudHsmContext {
  scope: Scope;
  principal: Principal;
  /** aws:SourceIp: the client's address as the socket sees it. */
  sourceIp: string;
  /** aws:SecureTransport: the request came over TLS. */
  secureTransport: boolean;
  /** The authorizer appends the decided resource ARN(s) here, for the audit log. */
  audit: AuditRecord;
  /** The request's time on the service clock. */
  now: Date;
  requestId: string;
  deps: CloudHsmDeps;
}

export type CloudHsmHandler<I, O> = (input: I, ctx: CloudHsmContext) => Promise<O>;
