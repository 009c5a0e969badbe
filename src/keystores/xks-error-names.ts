/**
 * The error names of the XKS Proxy API v1 and the HTTP status a proxy answers each with
 * (xks-proxy.md §6): what kmsd's proxy client reads and what `kmsd xks-proxy` sends.
 */
export const XKS_ERROR_STATUS = {
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
} as const;

export type XksErrorName = keyof typeof XKS_ERROR_STATUS;

export function isXksErrorName(name: unknown): name is XksErrorName {
  return typeof name === 'string' && Object.hasOwn(XKS_ERROR_STATUS, name);
}
