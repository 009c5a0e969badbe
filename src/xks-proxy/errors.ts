/**
 * The proxy's error answers (xks-proxy.md §6): `{"errorName", "errorMessage"}` with the
 * spec's HTTP status for each name. KMS maps only errorName (§7); the message is for logs.
 */
import { XKS_ERROR_STATUS } from '../keystores/xks-error-names.js';
import type { XksErrorName } from '../keystores/xks-error-names.js';

export class XksError extends Error {
  readonly status: number;
  constructor(
    readonly errorName: XksErrorName,
    message: string,
  ) {
    super(message);
    this.status = XKS_ERROR_STATUS[errorName];
  }
}
