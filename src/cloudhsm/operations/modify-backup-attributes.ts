import type { ModifyBackupAttributesRequest, ModifyBackupAttributesResponse } from '../../generated/cloudhsmv2.js';
import type { CloudHsmHandler } from '../context.js';
import { backupView, findBackup, saveBackup } from '../backups.js';

/** ModifyBackupAttributes: NeverExpires exempts a backup from the cluster's retention policy. */
export const modifyBackupAttributes: CloudHsmHandler<ModifyBackupAttributesRequest, ModifyBackupAttributesResponse> = async (input, ctx) =>
  ctx.deps.store.transaction(async () => {
    const row = { ...(await findBackup(ctx, input.BackupId)), NeverExpires: input.NeverExpires };
    await saveBackup(ctx.deps, ctx.scope, row);
    return { Backup: backupView(row) };
  });
