import type { UpdatePrimaryRegionRequest } from '../../generated/kms.js';
import { NotFoundException, UnsupportedOperationException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { assertNotInTransition, assertNotPendingDeletion, assertUsableForCrypto, findKey, keyArn, loadKey, saveKey } from '../keys.js';
import { assertPrimaryKey, shareWithRelated, startUpdating } from '../multi-region.js';

/**
 * UpdatePrimaryRegion: the replica in PrimaryRegion becomes the primary and the old primary
 * one of its replicas; ReplicaKeys changes accordingly in every Region. As in AWS both keys
 * are Updating for a moment (KmsDeps.multiRegionTransitionMs on the service clock), during
 * which they still encrypt and decrypt, then return to their earlier states.
 */
export const updatePrimaryRegion: KmsHandler<UpdatePrimaryRegionRequest, Record<string, never>> = async (input, ctx) => {
  await ctx.deps.store.transaction(async () => {
    const primary = await findKey(ctx, input.KeyId, { allowAlias: false });
    assertPrimaryKey(primary);
    // Key-state table: Disabled, pending and Creating fail; Updating may be updated again.
    assertNotInTransition(primary, ['Creating']);
    await assertUsableForCrypto(ctx, primary);
    if (input.PrimaryRegion === primary.region) {
      throw new UnsupportedOperationException(`${primary.arn} is already the primary key in ${primary.region}.`);
    }
    const replicaScope = { account: primary.account, region: input.PrimaryRegion };
    const replica = await loadKey({ ...ctx, scope: replicaScope }, primary.keyId);
    if (!replica || !primary.multiRegion?.replicaRegions.includes(input.PrimaryRegion)) {
      throw new NotFoundException(`Key '${keyArn(replicaScope, primary.keyId)}' does not exist`);
    }
    assertNotPendingDeletion(replica);
    assertNotInTransition(replica, ['Creating']);

    const others = primary.multiRegion.replicaRegions.filter((region) => region !== input.PrimaryRegion);
    const family = { primaryRegion: input.PrimaryRegion, replicaRegions: [primary.region, ...others] };
    const until = ctx.now.getTime() + (ctx.deps.multiRegionTransitionMs ?? 0);
    for (const key of [primary, replica]) {
      startUpdating(key, until);
      key.multiRegion = structuredClone(family);
      await saveKey(ctx, key);
    }
    await shareWithRelated(ctx, replica);
  });
  return {};
};
