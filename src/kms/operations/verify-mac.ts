import { timingSafeEqual } from 'node:crypto';
import type { VerifyMacRequest, VerifyMacResponse } from '../../generated/kms.js';
import { KMSInvalidMacException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { computeMac } from '../mac.js';
import { assertDryRun } from '../dry-run.js';

/**
 * VerifyMac: recomputes the MAC and compares in constant time. AWS never answers
 * MacValid=false: a mismatch is KMSInvalidMacException.
 */
export const verifyMac: KmsHandler<VerifyMacRequest, VerifyMacResponse> = async (input, ctx) => {
  const { key, mac } = await computeMac(ctx, input.KeyId, input.MacAlgorithm, input.Message, 'VerifyMac');
  assertDryRun(input.DryRun);
  if (mac.length !== input.Mac.length || !timingSafeEqual(mac, input.Mac)) {
    // AWS sends this exception with no message (recorded responses).
    throw new KMSInvalidMacException('');
  }
  return { KeyId: key.arn, MacValid: true, MacAlgorithm: input.MacAlgorithm };
};
