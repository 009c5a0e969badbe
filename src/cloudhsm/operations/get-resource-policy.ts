import type { GetResourcePolicyRequest, GetResourcePolicyResponse } from '../../generated/cloudhsmv2.js';
import type { CloudHsmHandler } from '../context.js';
import { backupForPolicy } from '../resource-policy.js';

/** GetResourcePolicy: the backup's policy, or no Policy member when it has none. */
export const getResourcePolicy: CloudHsmHandler<GetResourcePolicyRequest, GetResourcePolicyResponse> = async (input, ctx) => {
  const backup = await backupForPolicy(ctx, input.ResourceArn);
  return backup.resourcePolicy !== undefined ? { Policy: backup.resourcePolicy } : {};
};
