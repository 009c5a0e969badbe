/** What every STS operation handler receives besides its form parameters. */
import type { IdentityDirectory } from '../auth/identities.js';
import type { Clock } from '../core/clock.js';
import type { Caller, XmlValue } from '../core/endpoint.js';

export interface StsDeps {
  identities: IdentityDirectory;
  clock: Clock;
}

export interface StsContext {
  caller: Caller;
  /** The request's time on the service clock (session expiry is measured on it). */
  now: Date;
  deps: StsDeps;
}

export type StsHandler = (params: URLSearchParams, ctx: StsContext) => Promise<XmlValue>;
