import type { CopyBackupToRegionRequest, CopyBackupToRegionResponse } from '../../generated/cloudhsmv2.js';
import { CloudHsmInvalidRequestException } from '../../generated/cloudhsmv2.js';
import type { BackupRow } from '../rows.js';
import type { CloudHsmHandler } from '../context.js';
import { findBackup, requireBackupState, saveBackup } from '../backups.js';
import { backupArn, newResourceId } from '../ids.js';
import { mergeTags } from '../tags.js';
import { isKnownRegion } from '../../core/regions.js';

/**
 * CopyBackupToRegion (copy-backup-to-region.md): a new backup in the same account in the
 * destination Region, naming its source Region, backup and cluster. Like AWS, the response
 * does not name the copy; DescribeBackups in the destination finds it by sourceBackupIds.
 */
export const copyBackupToRegion: CloudHsmHandler<CopyBackupToRegionRequest, CopyBackupToRegionResponse> = async (input, ctx) =>
  ctx.deps.store.transaction(async () => {
    const source = await findBackup(ctx, input.BackupId);
    requireBackupState(source, 'READY', 'copy');
    // Each Region is a new set of per-Region quotas: only Regions kmsd serves (core/regions.ts).
    if (!isKnownRegion(input.DestinationRegion)) {
      throw new CloudHsmInvalidRequestException(`${input.DestinationRegion} is not a Region kmsd serves.`);
    }
    if (input.DestinationRegion === ctx.scope.region) {
      throw new CloudHsmInvalidRequestException("The destination Region must differ from the backup's Region.");
    }
    const destination = { account: ctx.scope.account, region: input.DestinationRegion };
    const id = newResourceId('backup');
    const now = ctx.now.getTime();
    const copy: BackupRow = {
      ...source,
      BackupId: id,
      BackupArn: backupArn(destination, id),
      BackupState: 'READY',
      CreateTimestamp: now,
      CopyTimestamp: now,
      NeverExpires: false,
      SourceRegion: ctx.scope.region,
      SourceBackup: source.BackupId,
      SourceCluster: source.ClusterId,
      TagList: mergeTags([], input.TagList ?? []),
    };
    delete copy.DeleteTimestamp;
    delete copy.resourcePolicy;
    await saveBackup(ctx.deps, destination, copy);
    return {
      DestinationBackup: {
        CreateTimestamp: new Date(now),
        SourceRegion: ctx.scope.region,
        SourceBackup: source.BackupId,
        SourceCluster: source.ClusterId,
      },
    };
  });
