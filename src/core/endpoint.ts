/**
 * The contract between the HTTP gateway and a service (KMS, CloudHSM V2). The gateway
 * authenticates and validates; the service runs the operation. Neither imports the other.
 */
import type { ServiceModel } from './shape.js';

export interface Caller {
  accountId: string;
  accessKeyId: string;
  region: string;
  requestId: string;
}

export interface ServiceEndpoint {
  model: ServiceModel;
  /** Runs a validated, decoded input; returns the output structure or throws a ServiceError. */
  handle(operation: string, input: Record<string, unknown>, caller: Caller): Promise<unknown>;
}
