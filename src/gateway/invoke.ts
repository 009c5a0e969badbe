/**
 * The one way an operation runs, whoever asks: the AWS JSON edge (http.ts) after SigV4, and
 * the web console after its own sign-in. Both get the same model validation (Serialization /
 * ValidationException with Coral text) and the same handler under the caller's identity, so
 * nothing the console does can skip a check the API makes.
 */
import type { Caller, ServiceEndpoint } from '../core/endpoint.js';
import { UnknownOperationException } from '../core/service-error.js';
import { toWire } from './awsjson.js';
import { ModelValidator } from './validate.js';
import type { Json } from './validate.js';

/** A service with its model validator, built once per service. */
export interface OperationTarget {
  service: ServiceEndpoint;
  validator: ModelValidator;
}

export function operationTarget(service: ServiceEndpoint): OperationTarget {
  return { service, validator: new ModelValidator(service.model) };
}

export function hasOperation(target: OperationTarget, operation: string): boolean {
  return Object.prototype.hasOwnProperty.call(target.service.model.operations, operation);
}

/**
 * Validates `input` against the operation's model, runs the handler as `caller` and returns
 * the output in its JSON wire form ({} when the operation has no output). Throws the
 * ServiceError the validator or the handler raised.
 */
export async function invokeOperation(target: OperationTarget, operation: string, input: Json, caller: Caller): Promise<unknown> {
  if (!hasOperation(target, operation)) {
    throw new UnknownOperationException(`Unknown operation ${target.service.model.targetPrefix}.${operation}.`);
  }
  const decoded = target.validator.decodeInput(operation, input);
  const output = await target.service.handle(operation, decoded, caller);
  return toWire(output) ?? {};
}
