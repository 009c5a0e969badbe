import type { InitializeClusterRequest, InitializeClusterResponse } from '../../generated/cloudhsmv2.js';
import { CloudHsmInvalidRequestException } from '../../generated/cloudhsmv2.js';
import { DAY_MS } from '../../core/clock.js';
import type { CloudHsmHandler } from '../context.js';
import { beginTransition, findCluster, requireState, saveCluster } from '../clusters.js';
import { checkSignedCertificate } from '../certificates.js';

/**
 * InitializeCluster (initialize-cluster.md): the cluster CSR signed by the customer's issuing
 * CA plus that CA's self-signed certificate (the trust anchor). Both are checked for real:
 * the certificate must carry the CSR's public key and verify under the trust anchor.
 */
export const initializeCluster: CloudHsmHandler<InitializeClusterRequest, InitializeClusterResponse> = async (input, ctx) => {
  const cluster = await findCluster(ctx, input.ClusterId);
  if (cluster.SourceBackupId !== undefined) {
    // create-cluster-from-backup.md: such a cluster comes up with the backup's certificate.
    throw new CloudHsmInvalidRequestException(`Cluster ${cluster.ClusterId} was created from a backup and needs no initialization.`);
  }
  requireState(cluster, ['UNINITIALIZED'], 'initialize the cluster');
  const csr = cluster.Certificates.ClusterCsr;
  if (csr === undefined) {
    throw new CloudHsmInvalidRequestException(
      `Cluster ${cluster.ClusterId} has no certificate signing request yet; create an HSM in it first.`,
    );
  }
  const refusal = await checkSignedCertificate(csr, input.SignedCert, input.TrustAnchor);
  if (refusal) throw new CloudHsmInvalidRequestException(refusal);

  return ctx.deps.store.transaction(async () => {
    const row = await findCluster(ctx, input.ClusterId);
    requireState(row, ['UNINITIALIZED'], 'initialize the cluster');
    if (row.Certificates.ClusterCsr !== csr)
      throw new CloudHsmInvalidRequestException('The cluster certificate signing request changed; try again.');
    row.Certificates = { ...row.Certificates, ClusterCertificate: input.SignedCert.trim() + '\n' };
    beginTransition(ctx, row, 'INITIALIZE_IN_PROGRESS', 'INITIALIZED');
    row.nextBackupAt = ctx.now.getTime() + DAY_MS;
    await saveCluster(ctx, row);
    return { State: row.State, ...(row.StateMessage !== undefined ? { StateMessage: row.StateMessage } : {}) };
  });
};
