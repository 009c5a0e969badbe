import type { GenerateMacRequest, GenerateMacResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { computeMac } from '../mac.js';
import { assertDryRun } from '../dry-run.js';

/** GenerateMac: message 1–4096 bytes (model); the MAC is the hash's length. */
export const generateMac: KmsHandler<GenerateMacRequest, GenerateMacResponse> = async (input, ctx) => {
  const { key, mac } = await computeMac(ctx, input.KeyId, input.MacAlgorithm, input.Message, 'GenerateMac');
  assertDryRun(input.DryRun);
  return { Mac: mac, MacAlgorithm: input.MacAlgorithm, KeyId: key.arn };
};
