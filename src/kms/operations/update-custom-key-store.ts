import type { UpdateCustomKeyStoreRequest, UpdateCustomKeyStoreResponse } from '../../generated/kms.js';
import { CloudHsmClusterNotRelatedException, CustomKeyStoreNameInUseException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import {
  allStores,
  cloudHsm,
  findCustomKeyStore,
  invalidState,
  keysInStore,
  rejectExternalStoreMembers,
  saveCustomKeyStore,
} from '../custom-key-stores.js';
import { assertClusterActive, assertClusterConfiguration, requireCluster } from '../cloudhsm-cluster-rules.js';
import { saveKey } from '../keys.js';
import { updateExternalKeyStore } from '../xks-key-stores.js';

/**
 * UpdateCustomKeyStore for AWS_CLOUDHSM stores (§6.1, model of 2026; external key stores
 * are in xks-key-stores.ts): the name can change
 * while CONNECTED or DISCONNECTED; KeyStorePassword and CloudHsmClusterId only while
 * DISCONNECTED. Several properties may change in one call; a rejected call changes nothing.
 * The password only tells kmsd kmsuser's current password; nothing changes in the cluster.
 */
export const updateCustomKeyStore: KmsHandler<UpdateCustomKeyStoreRequest, UpdateCustomKeyStoreResponse> = async (input, ctx) => {
  if ((await findCustomKeyStore(ctx, input.CustomKeyStoreId)).type === 'EXTERNAL_KEY_STORE') return updateExternalKeyStore(input, ctx);
  rejectExternalStoreMembers(input);
  const backend = cloudHsm(ctx);
  await ctx.deps.store.transaction(async () => {
    const row = await findCustomKeyStore(ctx, input.CustomKeyStoreId);
    const needsDisconnected = input.KeyStorePassword !== undefined || input.CloudHsmClusterId !== undefined;
    if (needsDisconnected && row.connectionState !== 'DISCONNECTED') {
      throw invalidState(
        row,
        'To update the KeyStorePassword or CloudHsmClusterId of a custom key store, its connection state must be DISCONNECTED.',
      );
    }
    if (input.NewCustomKeyStoreName !== undefined && row.connectionState !== 'CONNECTED' && row.connectionState !== 'DISCONNECTED') {
      throw invalidState(row, 'To rename a custom key store, its connection state must be CONNECTED or DISCONNECTED.');
    }
    const next = { ...row };
    if (input.NewCustomKeyStoreName !== undefined && input.NewCustomKeyStoreName !== row.name) {
      const stores = await allStores(ctx.deps.store, ctx.scope);
      if (stores.some((s) => s.id !== row.id && s.name === input.NewCustomKeyStoreName)) {
        throw new CustomKeyStoreNameInUseException(`Custom key store name ${input.NewCustomKeyStoreName} is already in use.`);
      }
      next.name = input.NewCustomKeyStoreName;
    }
    if (input.CloudHsmClusterId !== undefined && input.CloudHsmClusterId !== row.clusterId) {
      // A related cluster: the original, one restored from its backup, or one restored from
      // the backup the original came from; all carry the same cluster certificate.
      const view = await requireCluster(ctx, input.CloudHsmClusterId);
      assertClusterActive(view);
      if (view.clusterCertificate !== row.clusterCertificate) {
        throw new CloudHsmClusterNotRelatedException(
          `AWS CloudHSM cluster ${view.clusterId} does not share a backup history with cluster ${row.clusterId} of custom key store ${row.id}.`,
        );
      }
      assertClusterConfiguration(view);
      next.clusterId = view.clusterId;
      // KeyMetadata.CloudHsmClusterId follows the store's cluster.
      for (const key of await keysInStore(ctx, row.id)) await saveKey(ctx, { ...key, cloudHsmClusterId: view.clusterId });
    }
    if (input.KeyStorePassword !== undefined) {
      next.passwordWrapped = backend.wrapPassword(ctx.scope, row.id, input.KeyStorePassword);
      // The operator says what kmsuser's password is: a rotation left half-way no longer counts.
      delete next.nextPasswordWrapped;
    }
    await saveCustomKeyStore(ctx, next);
  });
  return {};
};
