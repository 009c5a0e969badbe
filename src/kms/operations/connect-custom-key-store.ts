import type { ConnectCustomKeyStoreRequest, ConnectCustomKeyStoreResponse } from '../../generated/kms.js';
import { CloudHsmClusterInvalidConfigurationException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { cloudHsm, findCustomKeyStore, invalidState, saveCustomKeyStore } from '../custom-key-stores.js';
import { activeHsmZones, assertClusterActive } from '../cloudhsm-cluster-rules.js';
import { kickTransitions, transitionDue } from '../key-store-transitions.js';

/**
 * ConnectCustomKeyStore: answers {} at once and connects in the background (§7). Problems
 * found up front fail the call and leave the store DISCONNECTED (fix-keystore.md "fail
 * quickly"): cluster not active, no subnets in two AZs, no active HSM. A missing cluster
 * and every login problem surface later as FAILED with a ConnectionErrorCode.
 * CONNECTED/CONNECTING: accepted as a no-op (§3.3 note a); FAILED must be disconnected first.
 */
export const connectCustomKeyStore: KmsHandler<ConnectCustomKeyStoreRequest, ConnectCustomKeyStoreResponse> = async (input, ctx) => {
  const backend = cloudHsm(ctx);
  await ctx.deps.store.transaction(async () => {
    const row = await findCustomKeyStore(ctx, input.CustomKeyStoreId);
    if (row.connectionState === 'CONNECTED' || row.connectionState === 'CONNECTING') return;
    if (row.connectionState !== 'DISCONNECTED') {
      throw invalidState(row, 'You can connect a custom key store only when it is DISCONNECTED; disconnect it first.');
    }
    // External key stores have no cluster: their proxy's health is checked in the background.
    const view = row.xks ? undefined : await backend.describeCluster(ctx.scope, row.clusterId);
    if (view) {
      assertClusterActive(view);
      if (Object.keys(view.subnetMapping).length < 2) {
        throw new CloudHsmClusterInvalidConfigurationException(
          `AWS CloudHSM cluster ${view.clusterId} must have private subnets in at least two Availability Zones.`,
        );
      }
      if (activeHsmZones(view).size === 0) {
        throw new CloudHsmClusterInvalidConfigurationException(
          `AWS CloudHSM cluster ${view.clusterId} has no active HSMs. Add an HSM to the cluster, then connect again.`,
        );
      }
    }
    await saveCustomKeyStore(ctx, { ...row, connectionState: 'CONNECTING', attempt: row.attempt + 1 }, transitionDue(ctx.deps));
  });
  kickTransitions(ctx.deps);
  return {};
};
