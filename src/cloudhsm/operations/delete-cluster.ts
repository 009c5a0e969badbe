import type { DeleteClusterRequest, DeleteClusterResponse } from '../../generated/cloudhsmv2.js';
import { CloudHsmInvalidRequestException } from '../../generated/cloudhsmv2.js';
import type { CloudHsmHandler } from '../context.js';
import { beginTransition, clusterView, findCluster, requireState, saveCluster } from '../clusters.js';

/**
 * DeleteCluster (delete-cluster.md): only a cluster without HSMs; DELETE_IN_PROGRESS ->
 * DELETED. Its users and keys are dropped; its backups stay (that is what they are for).
 */
export const deleteCluster: CloudHsmHandler<DeleteClusterRequest, DeleteClusterResponse> = async (input, ctx) =>
  ctx.deps.store.transaction(async () => {
    const row = await findCluster(ctx, input.ClusterId);
    if (row.Hsms.length > 0) {
      throw new CloudHsmInvalidRequestException(
        `Cluster ${row.ClusterId} still has ${row.Hsms.length} HSM(s). Delete all HSMs in the cluster before deleting the cluster.`,
      );
    }
    requireState(row, ['UNINITIALIZED', 'INITIALIZED', 'ACTIVE', 'DEGRADED'], 'delete the cluster');
    await ctx.deps.contents.destroy(ctx.scope, row.ClusterId);
    delete row.nextBackupAt;
    delete row.pendingRestore;
    beginTransition(ctx, row, 'DELETE_IN_PROGRESS', 'DELETED');
    await saveCluster(ctx, row);
    return { Cluster: clusterView(row) };
  });
