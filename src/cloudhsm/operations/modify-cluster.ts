import type { ModifyClusterRequest, ModifyClusterResponse } from '../../generated/cloudhsmv2.js';
import { CloudHsmInvalidRequestException } from '../../generated/cloudhsmv2.js';
import type { CloudHsmHandler } from '../context.js';
import { checkRetention, clusterView, findCluster, requireState, saveCluster } from '../clusters.js';

/**
 * ModifyCluster: the backup retention policy, or the HSM type (hsm1.medium -> hsm2m.medium is
 * AWS's only migration). kmsd applies a type change at once, with no rollback window.
 */
export const modifyCluster: CloudHsmHandler<ModifyClusterRequest, ModifyClusterResponse> = async (input, ctx) =>
  ctx.deps.store.transaction(async () => {
    const row = await findCluster(ctx, input.ClusterId);
    requireState(row, ['UNINITIALIZED', 'INITIALIZED', 'ACTIVE', 'DEGRADED'], 'modify the cluster');
    if (input.BackupRetentionPolicy === undefined && input.HsmType === undefined) {
      throw new CloudHsmInvalidRequestException('Specify a BackupRetentionPolicy or an HsmType to modify.');
    }
    if (input.BackupRetentionPolicy !== undefined) row.BackupRetentionPolicy = checkRetention(input.BackupRetentionPolicy);
    if (input.HsmType !== undefined && input.HsmType !== row.HsmType) {
      if (row.HsmType !== 'hsm1.medium' || input.HsmType !== 'hsm2m.medium') {
        throw new CloudHsmInvalidRequestException(`Cannot change the HSM type from ${row.HsmType} to ${input.HsmType}.`);
      }
      row.HsmType = input.HsmType;
      row.Hsms = row.Hsms.map((h) => ({ ...h, HsmType: input.HsmType ?? h.HsmType }));
    }
    await saveCluster(ctx, row);
    return { Cluster: clusterView(row) };
  });
