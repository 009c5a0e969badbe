/**
 * The contract between the HTTP gateway and a service (KMS, CloudHSM V2). The gateway
 * authenticates and validates; the service runs the operation. Neither imports the other.
 */
import type { ServiceModel } from './shape.js';
import type { Principal } from '../auth/principal.js';

export interface Caller {
  accountId: string;
  accessKeyId: string;
  region: string;
  requestId: string;
  /** Who is calling (root, IAM user, role session); principalArn = principal.arn. */
  principal: Principal;
  /** The socket's remote address (aws:SourceIp). */
  sourceIp: string;
  /** Whether the request came over TLS (aws:SecureTransport). */
  secureTransport: boolean;
  /** Per-request record the authorizer appends the decided resource ARN(s) to (audit log). */
  audit: { resources: string[] };
}

export interface ServiceEndpoint {
  model: ServiceModel;
  /** Runs a validated, decoded input; returns the output structure or throws a ServiceError. */
  handle(operation: string, input: Record<string, unknown>, caller: Caller): Promise<unknown>;
}
