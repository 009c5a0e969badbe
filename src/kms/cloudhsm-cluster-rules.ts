/**
 * The rules KMS applies to the CloudHSM cluster of an AWS_CLOUDHSM custom key store
 * (custom-key-stores.md §5, cloudhsm.md §4): it exists and is ACTIVE, has HSMs in two
 * Availability Zones, answers to the store's trust anchor, and backs no other store.
 */
import { X509Certificate } from 'node:crypto';
import {
  CloudHsmClusterInUseException,
  CloudHsmClusterInvalidConfigurationException,
  CloudHsmClusterNotActiveException,
  CloudHsmClusterNotFoundException,
  IncorrectTrustAnchorException,
} from '../generated/kms.js';
import type { ClusterView } from '../keystores/cloudhsm-clusters.js';
import type { KmsContext } from './context.js';
import { cloudHsm } from './custom-key-stores.js';
import type { CustomKeyStoreRow } from './custom-key-stores.js';

export async function requireCluster(ctx: KmsContext, clusterId: string): Promise<ClusterView> {
  const view = await cloudHsm(ctx).describeCluster(ctx.scope, clusterId);
  if (!view) throw new CloudHsmClusterNotFoundException(`AWS CloudHSM cluster ${clusterId} not found.`);
  return view;
}

export function assertClusterActive(view: ClusterView): void {
  if (view.state !== 'ACTIVE') {
    throw new CloudHsmClusterNotActiveException(
      `AWS CloudHSM cluster ${view.clusterId} is not active. Its state is ${view.state}; it must be ACTIVE.`,
    );
  }
}

export function activeHsmZones(view: ClusterView): Set<string> {
  return new Set(view.hsms.filter((h) => h.state === 'ACTIVE').map((h) => h.availabilityZone));
}

/** Create, Update (cluster swap) and CreateKey: subnets in 2 AZs, 2 active HSMs in different AZs. */
export function assertClusterConfiguration(view: ClusterView): void {
  if (Object.keys(view.subnetMapping).length < 2) {
    throw new CloudHsmClusterInvalidConfigurationException(
      `AWS CloudHSM cluster ${view.clusterId} must have private subnets in at least two Availability Zones.`,
    );
  }
  if (activeHsmZones(view).size < 2) {
    throw new CloudHsmClusterInvalidConfigurationException(
      `AWS CloudHSM cluster ${view.clusterId} must contain at least two active HSMs, each in a different Availability Zone.`,
    );
  }
}

/**
 * The cluster certificate must name the trust anchor as issuer and carry its signature
 * (node's X509Certificate: checkIssued compares names and key identifiers, verify the signature).
 */
export function assertTrustAnchor(view: ClusterView, trustAnchorPem: string): void {
  const wrong = new IncorrectTrustAnchorException(
    `The trust anchor certificate in the request is not the trust anchor of AWS CloudHSM cluster ${view.clusterId}.`,
  );
  if (!view.clusterCertificate) throw wrong;
  let issued = false;
  try {
    const anchor = new X509Certificate(trustAnchorPem);
    const clusterCert = new X509Certificate(view.clusterCertificate);
    issued = clusterCert.checkIssued(anchor) && clusterCert.verify(anchor.publicKey);
  } catch {
    issued = false;
  }
  if (!issued) throw wrong;
}

/** A cluster (or one sharing its backup history) may back only one store per account+Region. */
export function assertClusterUnused(view: ClusterView, stores: CustomKeyStoreRow[]): void {
  const user = stores.find(
    (s) =>
      s.type === 'AWS_CLOUDHSM' &&
      (s.clusterId === view.clusterId || (view.clusterCertificate !== undefined && s.clusterCertificate === view.clusterCertificate)),
  );
  if (user) {
    throw new CloudHsmClusterInUseException(
      user.clusterId === view.clusterId
        ? `AWS CloudHSM cluster ${view.clusterId} is already associated with custom key store ${user.id}.`
        : `AWS CloudHSM cluster ${view.clusterId} shares a backup history with cluster ${user.clusterId}, which is associated with custom key store ${user.id}.`,
    );
  }
}
