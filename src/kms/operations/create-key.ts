import type { CreateKeyRequest, CreateKeyResponse } from '../../generated/kms.js';
import { UnsupportedOperationException } from '../../generated/kms.js';
import { ValidationException } from '../../core/service-error.js';
import type { KmsHandler } from '../context.js';
import { usagesOf } from '../key-specs.js';
import { createKeyMaterial } from '../key-material.js';
import { defaultKeyPolicy, keyArn, keyMetadata, newKeyId, newMaterialId, saveKey } from '../keys.js';
import type { KeyRow } from '../keys.js';
import { validateNewTags } from '../tags.js';
import { validatePolicyDocument } from '../policies.js';

/** CreateKey. Built so far: symmetric, HMAC and asymmetric (RSA, ECC) keys of origin AWS_KMS. */
export const createKey: KmsHandler<CreateKeyRequest, CreateKeyResponse> = async (input, ctx) => {
  const keySpec = input.KeySpec ?? input.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT';
  const keyUsage = input.KeyUsage ?? 'ENCRYPT_DECRYPT';
  const origin = input.Origin ?? 'AWS_KMS';
  if (input.CustomKeyStoreId !== undefined) {
    throw new UnsupportedOperationException('Creating keys in a custom key store is not implemented by kmsd yet.');
  }
  const usages = usagesOf(keySpec);
  if (!usages) {
    throw new UnsupportedOperationException(`KeySpec ${keySpec} is not supported by kmsd yet.`);
  }
  // HMAC and ECC keys need an explicit KeyUsage: the default ENCRYPT_DECRYPT does not fit them.
  if (!usages.includes(keyUsage)) {
    throw new ValidationException(`KeyUsage ${keyUsage} is not compatible with KeySpec ${keySpec}.`);
  }
  if (origin !== 'AWS_KMS') {
    throw new UnsupportedOperationException(`Origin ${origin} is not supported by kmsd yet.`);
  }
  if (input.MultiRegion) {
    throw new UnsupportedOperationException('Multi-Region keys are not supported by kmsd yet.');
  }
  const tags = validateNewTags(input.Tags ?? []);
  const policy = input.Policy ?? defaultKeyPolicy(ctx.scope.account);
  if (input.Policy !== undefined) validatePolicyDocument(input.Policy);

  const keyId = newKeyId();
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
  await ctx.deps.store.transaction(async () => {
    await createKeyMaterial(ctx, key);
    await saveKey(ctx, key);
  });
  return { KeyMetadata: await keyMetadata(ctx, key) };
};
