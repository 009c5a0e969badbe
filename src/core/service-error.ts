/**
 * An error that reaches the client as an AWS JSON error:
 * `{"__type": code, "message": text}` (KMS) or `{"__type": code, "Message": text}` (CloudHSM V2).
 * Handlers throw these; the gateway serializes them. Anything else thrown becomes a logged
 * 500 with no internals leaked.
 */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = code;
  }
}

// Errors every AWS JSON service returns but that no model lists (AWS-wide conventions).

export class ValidationException extends ServiceError {
  constructor(message: string) {
    super('ValidationException', message, 400);
  }
}

export class SerializationException extends ServiceError {
  constructor(message: string) {
    super('SerializationException', message, 400);
  }
}

export class UnknownOperationException extends ServiceError {
  constructor(message: string) {
    super('UnknownOperationException', message, 400);
  }
}

export class AccessDeniedException extends ServiceError {
  constructor(message: string) {
    super('AccessDeniedException', message, 400);
  }
}

/** An operation that exists in the model but that kmsd does not implement yet. */
export class NotImplementedException extends ServiceError {
  constructor(operation: string) {
    super('NotImplementedException', `The operation ${operation} is not implemented by kmsd yet.`, 501);
  }
}
