import type { PutResourcePolicyRequest, PutResourcePolicyResponse } from '../../generated/cloudhsmv2.js';
import { CloudHsmInvalidRequestException } from '../../generated/cloudhsmv2.js';
import type { CloudHsmHandler } from '../context.js';
import { saveBackup } from '../backups.js';
import { backupForPolicy, checkPolicyDocument } from '../resource-policy.js';

/** PutResourcePolicy: replaces the backup's sharing policy (a JSON document). */
export const putResourcePolicy: CloudHsmHandler<PutResourcePolicyRequest, PutResourcePolicyResponse> = async (input, ctx) =>
  ctx.deps.store.transaction(async () => {
    const backup = await backupForPolicy(ctx, input.ResourceArn);
    if (input.Policy === undefined) throw new CloudHsmInvalidRequestException('Policy is required.');
    checkPolicyDocument(input.Policy);
    await saveBackup(ctx.deps, ctx.scope, { ...backup, resourcePolicy: input.Policy });
    return { ResourceArn: backup.BackupArn, Policy: input.Policy };
  });
