import { DryRunOperationException } from '../generated/kms.js';

/**
 * With DryRun=true, a request that would have succeeded answers DryRunOperationException
 * (HTTP 400, as recorded from AWS, not the model's 412) instead of doing the work; every check before this call still applies.
 */
export function assertDryRun(dryRun: boolean | undefined): void {
  if (dryRun) throw new DryRunOperationException('The request would have succeeded, but the DryRun option is set.');
}
