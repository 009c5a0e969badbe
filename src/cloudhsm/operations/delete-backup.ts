import type { DeleteBackupRequest, DeleteBackupResponse } from '../../generated/cloudhsmv2.js';
import type { CloudHsmHandler } from '../context.js';
import { backupView, findBackup, requireBackupState, saveBackup } from '../backups.js';

/** DeleteBackup (delete-restore-backup.md): PENDING_DELETION, restorable for 7 days, then purged. */
export const deleteBackup: CloudHsmHandler<DeleteBackupRequest, DeleteBackupResponse> = async (input, ctx) =>
  ctx.deps.store.transaction(async () => {
    const backup = await findBackup(ctx, input.BackupId);
    requireBackupState(backup, 'READY', 'delete');
    const row = { ...backup, BackupState: 'PENDING_DELETION' as const, DeleteTimestamp: ctx.now.getTime() };
    await saveBackup(ctx.deps, ctx.scope, row);
    return { Backup: backupView(row) };
  });
