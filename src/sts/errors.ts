/** STS's errors as the awsQuery protocol names them (codes without the `Exception` suffix). */
import { ServiceError } from '../core/service-error.js';

export class StsAccessDenied extends ServiceError {
  constructor(callerArn: string, roleArn: string) {
    // STS's text names the caller, the action and the role (spec authorization.md §7.3).
    super('AccessDenied', `User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
  }
}

export class StsValidationError extends ServiceError {
  constructor(message: string) {
    super('ValidationError', message, 400);
  }
}

export class MalformedPolicyDocument extends ServiceError {
  constructor(message: string) {
    super('MalformedPolicyDocument', message, 400);
  }
}
