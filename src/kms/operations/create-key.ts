import type { CreateKeyRequest, CreateKeyResponse } from '../../generated/kms.js';
import { UnsupportedOperationException } from '../../generated/kms.js';
import { ValidationException } from '../../core/service-error.js';
import type { KmsHandler } from '../context.js';
import { usagesOf } from '../key-specs.js';
import { isSm2Region } from '../sm2.js';
import { createKeyMaterial } from '../key-material.js';
import { backendFor, backendRef, defaultKeyPolicy, keyArn, keyMetadata, newKeyId, newMaterialId, saveKey } from '../keys.js';
import type { KeyRow } from '../keys.js';
import { validateNewTags } from '../tags.js';
import { validatePolicyDocument } from '../policies.js';
import { storeForNewKey } from '../custom-key-stores.js';
import { newMultiRegionKeyId } from '../multi-region.js';

/**
 * CreateKey. Built so far: symmetric, HMAC and asymmetric (RSA, ECC) keys of origin AWS_KMS,
 * single-Region or multi-Region (MultiRegion: an `mrk-` id, a primary key).
 */
export const createKey: KmsHandler<CreateKeyRequest, CreateKeyResponse> = async (input, ctx) => {
  const keySpec = input.KeySpec ?? input.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT';
  const keyUsage = input.KeyUsage ?? 'ENCRYPT_DECRYPT';
  const origin = input.Origin ?? 'AWS_KMS';
  // Keys in a CloudHSM key store (custom-key-stores.md §11.1): symmetric only, checked there.
  const store =
    input.CustomKeyStoreId !== undefined || origin === 'AWS_CLOUDHSM'
      ? await storeForNewKey(ctx, input.CustomKeyStoreId, { keySpec, keyUsage, origin, multiRegion: input.MultiRegion === true })
      : undefined;
  // AWS offers SM2 keys only in its China Regions; elsewhere the spec does not exist.
  if (keySpec === 'SM2' && !isSm2Region(ctx.scope.region)) {
    throw new UnsupportedOperationException('KeySpec SM2 is available only in China Regions.');
  }
  const usages = usagesOf(keySpec);
  if (!usages) {
    throw new UnsupportedOperationException(`KeySpec ${keySpec} is not supported by kmsd yet.`);
  }
  // HMAC and ECC keys need an explicit KeyUsage: the default ENCRYPT_DECRYPT does not fit them.
  if (!usages.includes(keyUsage)) {
    throw new ValidationException(`KeyUsage ${keyUsage} is not compatible with KeySpec ${keySpec}`);
  }
  if (origin !== 'AWS_KMS' && !store) {
    throw new UnsupportedOperationException(`Origin ${origin} is not supported by kmsd yet.`);
  }
  const tags = validateNewTags(input.Tags ?? []);
  const policy = input.Policy ?? defaultKeyPolicy(ctx.scope.account);
  if (input.Policy !== undefined) validatePolicyDocument(input.Policy);

  const keyId = input.MultiRegion ? newMultiRegionKeyId() : newKeyId();
  const materialId = newMaterialId();
  const key: KeyRow = {
    keyId,
    arn: keyArn(ctx.scope, keyId),
    account: ctx.scope.account,
    region: ctx.scope.region,
    creationDate: ctx.now.getTime(),
    description: input.Description ?? '',
    keyUsage,
    keySpec,
    origin,
    state: 'Enabled',
    policy,
    tags,
    currentMaterialId: materialId,
    materialIds: [materialId],
    rotation: { enabled: false },
    rotations: [],
  };
  // A new multi-Region key is a primary without replicas (ReplicateKey adds them).
  if (input.MultiRegion) key.multiRegion = { primaryRegion: ctx.scope.region, replicaRegions: [] };
  if (store) {
    key.customKeyStoreId = store.id;
    key.cloudHsmClusterId = store.clusterId;
  }
  await ctx.deps.store.transaction(async () => {
    if (store) await backendFor(ctx, key).createMaterial(backendRef(key, materialId));
    else await createKeyMaterial(ctx, key);
    await saveKey(ctx, key);
  });
  return { KeyMetadata: await keyMetadata(ctx, key) };
};
