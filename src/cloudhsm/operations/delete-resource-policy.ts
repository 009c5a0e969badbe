import type { DeleteResourcePolicyRequest, DeleteResourcePolicyResponse } from '../../generated/cloudhsmv2.js';
import type { CloudHsmHandler } from '../context.js';
import { saveBackup } from '../backups.js';
import { backupForPolicy } from '../resource-policy.js';

/** DeleteResourcePolicy: removes the backup's policy and returns the one removed. */
export const deleteResourcePolicy: CloudHsmHandler<DeleteResourcePolicyRequest, DeleteResourcePolicyResponse> = async (input, ctx) =>
  ctx.deps.store.transaction(async () => {
    const backup = await backupForPolicy(ctx, input.ResourceArn);
    const { resourcePolicy, ...rest } = backup;
    await saveBackup(ctx.deps, ctx.scope, rest);
    return { ResourceArn: backup.BackupArn, ...(resourcePolicy !== undefined ? { Policy: resourcePolicy } : {}) };
  });
