import type { CreateKeyRequest, CreateKeyResponse } from '../../generated/kms.js';
import { LimitExceededException, UnsupportedOperationException } from '../../generated/kms.js';
import { ValidationException } from '../../core/service-error.js';
import type { KmsHandler } from '../context.js';
import { usagesOf } from '../key-specs.js';
import { isSm2Region } from '../sm2.js';
import { generateKeyMaterial, storeKeyMaterial } from '../key-material.js';
import { backendFor, backendRef, defaultKeyPolicy, dueOf, keyArn, keyMetadata, keyTable, newKeyId, newMaterialId } from '../keys.js';
import type { KeyRow } from '../keys.js';
import { mergeTags, validateRequestTags } from '../tags.js';
import { checkNewKeyPolicy } from '../policies.js';
import { resourceQuotas } from '../quotas.js';
import { storeForNewKey } from '../custom-key-stores.js';
import { assertXksKeyFree, storeForNewXksKey } from '../xks-key-stores.js';
import { isImportableSpec } from '../imported-material.js';
import { newMultiRegionKeyId } from '../multi-region.js';

/**
 * Below this many keys from the quota, CreateKey skips the exact count inside its
 * transaction: the keys created meanwhile by CreateKey calls in flight at once (at most the
 * store's connections across all nodes) cannot reach the quota.
 */
const KEY_QUOTA_EXACT_MARGIN = 1000;

/**
 * CreateKey. Built so far: symmetric, HMAC and asymmetric (RSA, ECC) keys of origin AWS_KMS,
 * single-Region or multi-Region (MultiRegion: an `mrk-` id, a primary key), or of origin
 * EXTERNAL (created PendingImport, without material, until ImportKeyMaterial).
 */
export const createKey: KmsHandler<CreateKeyRequest, CreateKeyResponse> = async (input, ctx) => {
  const keySpec = input.KeySpec ?? input.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT';
  // Only symmetric encryption keys may leave KeyUsage out (recorded AWS text).
  if (input.KeyUsage === undefined && keySpec !== 'SYMMETRIC_DEFAULT') {
    throw new ValidationException('You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.');
  }
  const keyUsage = input.KeyUsage ?? 'ENCRYPT_DECRYPT';
  const origin = input.Origin ?? 'AWS_KMS';
  // Keys in a CloudHSM key store (custom-key-stores.md §11.1): symmetric only, checked there.
  if (input.XksKeyId !== undefined && origin !== 'EXTERNAL_KEY_STORE') {
    throw new ValidationException('XksKeyId is valid only for KMS keys with Origin EXTERNAL_KEY_STORE.');
  }
  // Keys in an external key store (§12): the proxy must hold a usable AES-256 key.
  const store =
    origin === 'EXTERNAL_KEY_STORE'
      ? await storeForNewXksKey(ctx, input)
      : input.CustomKeyStoreId !== undefined || origin === 'AWS_CLOUDHSM'
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
  if (origin === 'EXTERNAL' && !isImportableSpec(keySpec)) {
    throw new UnsupportedOperationException(`KeySpec ${keySpec} with Origin EXTERNAL is not supported by kmsd.`);
  }
  if (origin === 'EXTERNAL' && input.MultiRegion) {
    throw new UnsupportedOperationException('Multi-Region keys with imported key material are not supported by kmsd.');
  }
  if (origin !== 'AWS_KMS' && origin !== 'EXTERNAL' && !store) {
    throw new UnsupportedOperationException(`Origin ${origin} is not supported by kmsd yet.`);
  }
  const quotas = resourceQuotas(ctx);
  const tags = mergeTags([], validateRequestTags(input.Tags ?? []), quotas.tagsPerKey);
  // Without Policy, AWS writes its default policy (no lockout check: it names the account).
  const policy = input.Policy ?? defaultKeyPolicy(ctx.scope.account);

  const keyId = input.MultiRegion ? newMultiRegionKeyId() : newKeyId();
  const external = origin === 'EXTERNAL';
  // Imported material gets its id when it is imported (derived from the material).
  const materialId = external ? '' : newMaterialId();
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
    state: external ? 'PendingImport' : 'Enabled',
    policy,
    tags,
    currentMaterialId: materialId,
    materialIds: external ? [] : [materialId],
    rotation: { enabled: false },
    rotations: [],
  };
  if (external) key.imports = [];
  // A new multi-Region key is a primary without replicas (ReplicateKey adds them).
  if (input.MultiRegion) key.multiRegion = { primaryRegion: ctx.scope.region, replicaRegions: [] };
  if (input.Policy !== undefined) await checkNewKeyPolicy(ctx, key, input.Policy, input.BypassPolicyLockoutSafetyCheck);
  if (store) {
    key.customKeyStoreId = store.id;
    if (store.type === 'AWS_CLOUDHSM') key.cloudHsmClusterId = store.clusterId;
    if (origin === 'EXTERNAL_KEY_STORE') key.xksKeyId = input.XksKeyId;
  }
  const keys = keyTable(ctx.deps.store);
  const assertKeyQuota = async () => {
    // Every customer managed key counts, in any key state (resource quota "AWS KMS keys").
    const count = await keys.count(ctx.scope);
    if (count >= quotas.keysPerRegion) {
      throw new LimitExceededException(
        `The request would exceed the quota of ${quotas.keysPerRegion} KMS keys in this account and Region.`,
      );
    }
    return count;
  };
  // Counted before the transaction: the store keeps each account's count (a few rows to read
  // at any number of keys). Counting inside it too would make every concurrent CreateKey of
  // one account conflict on PostgreSQL (serializable: each reads the count the others'
  // inserts change, and all but one run again), so the count is repeated inside only when the
  // quota is near (docs/compatibility.md).
  const nearQuota = (await assertKeyQuota()) >= quotas.keysPerRegion - KEY_QUOTA_EXACT_MARGIN;
  // A key in a CloudHSM key store gets its material from the cluster: an HSM call, so it runs
  // before the transaction (which may run twice, store.ts), and is destroyed again if the key
  // is not stored after all.
  if (store) await backendFor(ctx, key).createMaterial(backendRef(key, materialId));
  // Local material is made before the transaction too: key pair generation must not hold the
  // store's write lock, and a retried transaction stores the same bytes.
  const made = store || external ? undefined : await generateKeyMaterial(key.keySpec);
  try {
    await ctx.deps.store.transaction(async () => {
      if (nearQuota) await assertKeyQuota();
      if (store && key.xksKeyId !== undefined) await assertXksKeyFree(ctx, store.id, key.xksKeyId);
      if (made) await storeKeyMaterial(ctx, key, made);
      // Create-only: a new key never replaces a stored one (ids are random UUIDs).
      await keys.insert(ctx.scope, key.keyId, key, { due: dueOf(key) });
    });
  } catch (err) {
    if (store)
      await backendFor(ctx, key)
        .destroyMaterial(backendRef(key, materialId))
        .catch(() => undefined);
    throw err;
  } finally {
    made?.material.fill(0);
  }
  return { KeyMetadata: await keyMetadata(ctx, key) };
};
