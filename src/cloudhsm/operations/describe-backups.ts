import type { DescribeBackupsRequest, DescribeBackupsResponse } from '../../generated/cloudhsmv2.js';
import { CloudHsmInvalidRequestException } from '../../generated/cloudhsmv2.js';
import type { BackupRow } from '../rows.js';
import type { CloudHsmHandler } from '../context.js';
import { backupView, backupsInScope, backupsWithPolicies } from '../backups.js';
import { backupPolicyAllows } from '../authorization.js';
import { paginate } from '../pagination.js';

const FILTERS: Record<string, (b: BackupRow, values: string[]) => boolean> = {
  backupIds: (b, v) => v.includes(b.BackupId),
  sourceBackupIds: (b, v) => b.SourceBackup !== undefined && v.includes(b.SourceBackup),
  clusterIds: (b, v) => v.includes(b.ClusterId),
  states: (b, v) => v.includes(b.BackupState),
  neverExpires: (b, v) => v.includes(String(b.NeverExpires)),
};

/**
 * DescribeBackups: filters backupIds / sourceBackupIds / clusterIds / states / neverExpires,
 * newest first unless SortAscending, 1–50 per page (default 50). Shared lists the backups of
 * other accounts in this Region whose resource policy shares them with the caller.
 */
export const describeBackups: CloudHsmHandler<DescribeBackupsRequest, DescribeBackupsResponse> = async (input, ctx) => {
  const filters = Object.entries(input.Filters ?? {});
  for (const [name] of filters) {
    if (!FILTERS[name])
      throw new CloudHsmInvalidRequestException(`Invalid filter ${name}. Valid filters: ${Object.keys(FILTERS).join(', ')}.`);
  }
  const candidates: BackupRow[] = [];
  if (input.Shared) {
    // Only backups that have a resource policy can be shared: read those, not every account's.
    for await (const { scope, row } of backupsWithPolicies(ctx.deps, ctx.scope)) {
      if (await backupPolicyAllows(ctx, row, scope, 'cloudhsm:DescribeBackups')) candidates.push(row);
    }
  } else {
    candidates.push(...(await backupsInScope(ctx.deps, ctx.scope)));
  }
  // Candidates come in creation order; it breaks ties between backups of the same millisecond.
  const matching = candidates.filter((b) => filters.every(([name, values]) => FILTERS[name](b, values)));
  const order = new Map(matching.map((b, i) => [b, i]));
  const direction = input.SortAscending ? 1 : -1;
  matching.sort((a, b) => direction * (a.CreateTimestamp - b.CreateTimestamp || (order.get(a) ?? 0) - (order.get(b) ?? 0)));
  const { page, next } = paginate(matching, 'backups', input.MaxResults, 50, input.NextToken);
  return { Backups: page.map(backupView), ...(next ? { NextToken: next } : {}) };
};
