/**
 * The KMS operation table: every operation of the model has an entry, so the compiler
 * reports a missing one. An operation kmsd does not implement yet answers
 * NotImplementedException (HTTP 501) naming it; it never pretends to succeed.
 */
import type { KmsOperationName, KmsOperationTypes } from '../../generated/kms.js';
import { NotImplementedException } from '../../core/service-error.js';
import type { KmsHandler } from '../context.js';
import { createKey } from './create-key.js';
import { connectCustomKeyStore } from './connect-custom-key-store.js';
import { createCustomKeyStore } from './create-custom-key-store.js';
import { deleteCustomKeyStore } from './delete-custom-key-store.js';
import { describeCustomKeyStores } from './describe-custom-key-stores.js';
import { disconnectCustomKeyStore } from './disconnect-custom-key-store.js';
import { updateCustomKeyStore } from './update-custom-key-store.js';
import { decrypt } from './decrypt.js';
import { describeKey } from './describe-key.js';
import { encrypt } from './encrypt.js';
import { listKeys } from './list-keys.js';
import { cancelKeyDeletion } from './cancel-key-deletion.js';
import { createAlias } from './create-alias.js';
import { deleteAlias } from './delete-alias.js';
import { disableKey } from './disable-key.js';
import { disableKeyRotation } from './disable-key-rotation.js';
import { enableKey } from './enable-key.js';
import { enableKeyRotation } from './enable-key-rotation.js';
import { generateDataKey } from './generate-data-key.js';
import { generateDataKeyWithoutPlaintext } from './generate-data-key-without-plaintext.js';
import { generateRandom } from './generate-random.js';
import { getKeyPolicy } from './get-key-policy.js';
import { getKeyRotationStatus } from './get-key-rotation-status.js';
import { listAliases } from './list-aliases.js';
import { listKeyPolicies } from './list-key-policies.js';
import { listKeyRotations } from './list-key-rotations.js';
import { listResourceTags } from './list-resource-tags.js';
import { putKeyPolicy } from './put-key-policy.js';
import { reEncrypt } from './re-encrypt.js';
import { rotateKeyOnDemand } from './rotate-key-on-demand.js';
import { scheduleKeyDeletion } from './schedule-key-deletion.js';
import { tagResource } from './tag-resource.js';
import { untagResource } from './untag-resource.js';
import { updateAlias } from './update-alias.js';
import { updateKeyDescription } from './update-key-description.js';
import { generateDataKeyPairWithoutPlaintext } from './generate-data-key-pair-without-plaintext.js';
import { generateDataKeyPair } from './generate-data-key-pair.js';
import { getPublicKey } from './get-public-key.js';
import { verify } from './verify.js';
import { sign } from './sign.js';
import { verifyMac } from './verify-mac.js';
import { generateMac } from './generate-mac.js';
import { revokeGrant } from './revoke-grant.js';
import { retireGrant } from './retire-grant.js';
import { listRetirableGrants } from './list-retirable-grants.js';
import { listGrants } from './list-grants.js';
import { createGrant } from './create-grant.js';
import { deriveSharedSecret } from './derive-shared-secret.js';
import { replicateKey } from './replicate-key.js';
import { updatePrimaryRegion } from './update-primary-region.js';

export type KmsHandlers = {
  [Op in KmsOperationName]: KmsHandler<KmsOperationTypes[Op]['input'], KmsOperationTypes[Op]['output']>;
};

function notImplemented(operation: KmsOperationName): KmsHandler<unknown, never> {
  return async () => {
    throw new NotImplementedException(operation);
  };
}

export const KMS_HANDLERS: KmsHandlers = {
  CancelKeyDeletion: cancelKeyDeletion,
  ConnectCustomKeyStore: connectCustomKeyStore,
  CreateAlias: createAlias,
  CreateCustomKeyStore: createCustomKeyStore,
  CreateGrant: createGrant,
  CreateKey: createKey,
  Decrypt: decrypt,
  DeleteAlias: deleteAlias,
  DeleteCustomKeyStore: deleteCustomKeyStore,
  DeleteImportedKeyMaterial: notImplemented('DeleteImportedKeyMaterial'),
  DeriveSharedSecret: deriveSharedSecret,
  DescribeCustomKeyStores: describeCustomKeyStores,
  DescribeKey: describeKey,
  DisableKey: disableKey,
  DisableKeyRotation: disableKeyRotation,
  DisconnectCustomKeyStore: disconnectCustomKeyStore,
  EnableKey: enableKey,
  EnableKeyRotation: enableKeyRotation,
  Encrypt: encrypt,
  GenerateDataKey: generateDataKey,
  GenerateDataKeyPair: generateDataKeyPair,
  GenerateDataKeyPairWithoutPlaintext: generateDataKeyPairWithoutPlaintext,
  GenerateDataKeyWithoutPlaintext: generateDataKeyWithoutPlaintext,
  GenerateMac: generateMac,
  GenerateRandom: generateRandom,
  GetKeyLastUsage: notImplemented('GetKeyLastUsage'),
  GetKeyPolicy: getKeyPolicy,
  GetKeyRotationStatus: getKeyRotationStatus,
  GetParametersForImport: notImplemented('GetParametersForImport'),
  GetPublicKey: getPublicKey,
  ImportKeyMaterial: notImplemented('ImportKeyMaterial'),
  ListAliases: listAliases,
  ListGrants: listGrants,
  ListKeyPolicies: listKeyPolicies,
  ListKeyRotations: listKeyRotations,
  ListKeys: listKeys,
  ListResourceTags: listResourceTags,
  ListRetirableGrants: listRetirableGrants,
  PutKeyPolicy: putKeyPolicy,
  ReEncrypt: reEncrypt,
  ReplicateKey: replicateKey,
  RetireGrant: retireGrant,
  RevokeGrant: revokeGrant,
  RotateKeyOnDemand: rotateKeyOnDemand,
  ScheduleKeyDeletion: scheduleKeyDeletion,
  Sign: sign,
  TagResource: tagResource,
  UntagResource: untagResource,
  UpdateAlias: updateAlias,
  UpdateCustomKeyStore: updateCustomKeyStore,
  UpdateKeyDescription: updateKeyDescription,
  UpdatePrimaryRegion: updatePrimaryRegion,
  Verify: verify,
  VerifyMac: verifyMac,
};
