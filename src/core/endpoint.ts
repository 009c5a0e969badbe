/**
 * The contract between the HTTP gateway and a service (KMS, CloudHSM V2). The gateway
 * authenticates and validates; the service runs the operation. Neither imports the other.
 */
import type { Principal } from '../auth/principal.js';
import type { ServiceModel } from './shape.js';

/** A per-request record the authorizer fills for the audit log. */
export interface AuditRecord {
  /** The resource ARN(s) the request was decided on (a key ARN, a cluster ARN). */
  resources: string[];
}

export interface Caller {
  accountId: string;
  accessKeyId: string;
  region: string;
  requestId: string;
  /** Who signed the request: root, an IAM user or a role session. */
  principal: Principal;
  /** The client's address as the socket sees it (aws:SourceIp). */
  sourceIp: string;
  /** Whether the request came over TLS (aws:SecureTransport). */
  secureTransport: boolean;
  audit: AuditRecord;
}

export interface ServiceEndpoint {
  model: ServiceModel;
  /** Runs a validated, decoded input; returns the output structure or throws a ServiceError. */
  handle(operation: string, input: Record<string, unknown>, caller: Caller): Promise<unknown>;
}

/** An awsQuery operation's result, written as XML: structures become elements, arrays `member` lists. */
export type XmlValue = string | number | boolean | Date | XmlValue[] | { [name: string]: XmlValue | undefined };

/** A service in the awsQuery protocol (STS): form parameters in, an XML result out. */
export interface QueryServiceEndpoint {
  /** SigV4 signing name, e.g. `sts`. */
  signingName: string;
  /** The API version every request must name, e.g. `2011-06-15`. */
  version: string;
  xmlNamespace: string;
  hasAction(action: string): boolean;
  handle(action: string, params: URLSearchParams, caller: Caller): Promise<XmlValue>;
}
