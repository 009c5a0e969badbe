/**
 * The proxy's error answers (xks-proxy.md §6): `{"errorName", "errorMessage"}` with the
 * spec's HTTP status for each name. KMS maps only errorName (§7); the message is for logs.
 */
export type XksErrorName =
  | 'ValidationException'
  | 'InvalidStateException'
  | 'InvalidCiphertextException'
  | 'InvalidKeyUsageException'
  | 'AuthenticationFailedException'
  | 'AccessDeniedException'
  | 'KeyNotFoundException'
  | 'InvalidUriPathException'
  | 'ThrottlingException'
  | 'UnsupportedOperationException'
  | 'DependencyTimeoutException'
  | 'InternalException';

const STATUS: Record<XksErrorName, number> = {
  ValidationException: 400,
  InvalidStateException: 400,
  InvalidCiphertextException: 400,
  InvalidKeyUsageException: 400,
  AuthenticationFailedException: 401,
  AccessDeniedException: 403,
  KeyNotFoundException: 404,
  InvalidUriPathException: 404,
  ThrottlingException: 429,
  UnsupportedOperationException: 501,
  DependencyTimeoutException: 503,
  InternalException: 500,
};

export class XksError extends Error {
  readonly status: number;
  constructor(
    readonly errorName: XksErrorName,
    message: string,
  ) {
    super(message);
    this.status = STATUS[errorName];
  }
}
