import type { RestoreBackupRequest, RestoreBackupResponse } from '../../generated/cloudhsmv2.js';
import type { CloudHsmHandler } from '../context.js';
import { backupView, findBackup, requireBackupState, saveBackup } from '../backups.js';

/** RestoreBackup: takes a backup out of PENDING_DELETION (within its 7 days). */
export const restoreBackup: CloudHsmHandler<RestoreBackupRequest, RestoreBackupResponse> = async (input, ctx) =>
  ctx.deps.store.transaction(async () => {
    const backup = await findBackup(ctx, input.BackupId);
    requireBackupState(backup, 'PENDING_DELETION', 'restore');
    const { DeleteTimestamp: _deleted, ...rest } = backup;
    void _deleted;
    const row = { ...rest, BackupState: 'READY' as const };
    await saveBackup(ctx.deps, ctx.scope, row);
    return { Backup: backupView(row) };
  });
