import type { ReplicateKeyRequest, ReplicateKeyResponse } from '../../generated/kms.js';
import { AlreadyExistsException, UnsupportedOperationException } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { assertNotInTransition, assertUsableForCrypto, defaultKeyPolicy, findKey, keyArn, keyMetadata, loadKey, saveKey } from '../keys.js';
import type { KeyRow } from '../keys.js';
import { assertPrimaryKey, copyMaterial, shareWithRelated } from '../multi-region.js';
import { checkNewKeyPolicy, compileKeyPolicy } from '../policies.js';
import { mergeTags, validateRequestTags } from '../tags.js';
import { resourceQuotas } from '../quotas.js';
import { isKnownRegion } from '../../core/regions.js';

/**
 * ReplicateKey: a replica of a multi-Region primary in another Region of the same account,
 * with the same key id and material (every version) but its own policy (the default one if
 * none is given), description and tags. Like AWS it answers while the replica is still
 * Creating (recorded response, LS test_replicate_key); the replica becomes Enabled on the
 * service clock (KmsDeps.multiRegionTransitionMs).
 */
export const replicateKey: KmsHandler<ReplicateKeyRequest, ReplicateKeyResponse> = async (input, ctx) => {
  const replicaScope = { account: ctx.scope.account, region: input.ReplicaRegion };
  return ctx.deps.store.transaction(async () => {
    const primary = await findKey(ctx, input.KeyId, { allowAlias: false });
    assertPrimaryKey(primary);
    // Key-state table: a disabled, pending or Creating/Updating primary cannot be replicated.
    assertNotInTransition(primary);
    await assertUsableForCrypto(ctx, primary);
    // Each Region is a new set of per-Region quotas: only Regions kmsd serves (core/regions.ts).
    if (!isKnownRegion(input.ReplicaRegion)) {
      throw new UnsupportedOperationException(`${input.ReplicaRegion} is not a Region kmsd serves.`);
    }
    if (input.ReplicaRegion === primary.region) {
      throw new UnsupportedOperationException(`${primary.arn} cannot be replicated to its own Region ${primary.region}.`);
    }
    const replicaArn = keyArn(replicaScope, primary.keyId);
    if (await loadKey({ ...ctx, scope: replicaScope }, primary.keyId)) {
      throw new AlreadyExistsException(`Replica key ${replicaArn} already exists.`);
    }
    // AWS finds the key before it looks at the rest of the request.
    const quotas = resourceQuotas(ctx);
    if (input.Policy !== undefined) compileKeyPolicy(input.Policy, quotas.keyPolicyBytes, ctx.deps.principalExists);
    const tags = mergeTags([], validateRequestTags(input.Tags ?? []), quotas.tagsPerKey);

    const now = ctx.now.getTime();
    const family = primary.multiRegion ?? { primaryRegion: primary.region, replicaRegions: [] };
    primary.multiRegion = { primaryRegion: family.primaryRegion, replicaRegions: [...family.replicaRegions, input.ReplicaRegion] };
    const replica: KeyRow = {
      keyId: primary.keyId,
      arn: replicaArn,
      account: primary.account,
      region: input.ReplicaRegion,
      creationDate: now,
      description: input.Description ?? '',
      keyUsage: primary.keyUsage,
      keySpec: primary.keySpec,
      origin: primary.origin,
      state: 'Creating',
      transition: { until: now + (ctx.deps.multiRegionTransitionMs ?? 0), then: 'Enabled' },
      policy: input.Policy ?? defaultKeyPolicy(primary.account),
      tags,
      currentMaterialId: primary.currentMaterialId,
      materialIds: [...primary.materialIds],
      rotation: { ...primary.rotation },
      rotations: structuredClone(primary.rotations),
      publicKey: primary.publicKey,
      multiRegion: structuredClone(primary.multiRegion),
    };
    // The lockout safety check, on the replica as CreateKey does on a new key (spec §4.1).
    if (input.Policy !== undefined) await checkNewKeyPolicy(ctx, replica, input.Policy, input.BypassPolicyLockoutSafetyCheck);
    await copyMaterial(ctx, primary, replica);
    await saveKey(ctx, replica);
    await saveKey(ctx, primary);
    // The other replicas learn of the new one (ReplicaKeys is the same from every Region).
    await shareWithRelated(ctx, primary);
    return {
      ReplicaKeyMetadata: await keyMetadata(ctx, replica),
      ReplicaPolicy: replica.policy,
      ...(tags.length > 0 ? { ReplicaTags: tags } : {}),
    };
  });
};
