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
import { generateRandom } from './generate-random.js';
import { listKeys } from './list-keys.js';

export type KmsHandlers = {
  [Op in KmsOperationName]: KmsHandler<KmsOperationTypes[Op]['input'], KmsOperationTypes[Op]['output']>;
};

function notImplemented(operation: KmsOperationName): KmsHandler<unknown, never> {
  return async () => {
    throw new NotImplementedException(operation);
  };
}

export const KMS_HANDLERS: KmsHandlers = {
  CancelKeyDeletion: notImplemented('CancelKeyDeletion'),
  ConnectCustomKeyStore: connectCustomKeyStore,
  CreateAlias: notImplemented('CreateAlias'),
  CreateCustomKeyStore: createCustomKeyStore,
  CreateGrant: notImplemented('CreateGrant'),
  CreateKey: createKey,
  Decrypt: decrypt,
  DeleteAlias: notImplemented('DeleteAlias'),
  DeleteCustomKeyStore: deleteCustomKeyStore,
  DeleteImportedKeyMaterial: notImplemented('DeleteImportedKeyMaterial'),
  DeriveSharedSecret: notImplemented('DeriveSharedSecret'),
  DescribeCustomKeyStores: describeCustomKeyStores,
  DescribeKey: describeKey,
  DisableKey: notImplemented('DisableKey'),
  DisableKeyRotation: notImplemented('DisableKeyRotation'),
  DisconnectCustomKeyStore: disconnectCustomKeyStore,
  EnableKey: notImplemented('EnableKey'),
  EnableKeyRotation: notImplemented('EnableKeyRotation'),
  Encrypt: encrypt,
  GenerateDataKey: notImplemented('GenerateDataKey'),
  GenerateDataKeyPair: notImplemented('GenerateDataKeyPair'),
  GenerateDataKeyPairWithoutPlaintext: notImplemented('GenerateDataKeyPairWithoutPlaintext'),
  GenerateDataKeyWithoutPlaintext: notImplemented('GenerateDataKeyWithoutPlaintext'),
  GenerateMac: notImplemented('GenerateMac'),
  GenerateRandom: generateRandom,
  GetKeyLastUsage: notImplemented('GetKeyLastUsage'),
  GetKeyPolicy: notImplemented('GetKeyPolicy'),
  GetKeyRotationStatus: notImplemented('GetKeyRotationStatus'),
  GetParametersForImport: notImplemented('GetParametersForImport'),
  GetPublicKey: notImplemented('GetPublicKey'),
  ImportKeyMaterial: notImplemented('ImportKeyMaterial'),
  ListAliases: notImplemented('ListAliases'),
  ListGrants: notImplemented('ListGrants'),
  ListKeyPolicies: notImplemented('ListKeyPolicies'),
  ListKeyRotations: notImplemented('ListKeyRotations'),
  ListKeys: listKeys,
  ListResourceTags: notImplemented('ListResourceTags'),
  ListRetirableGrants: notImplemented('ListRetirableGrants'),
  PutKeyPolicy: notImplemented('PutKeyPolicy'),
  ReEncrypt: notImplemented('ReEncrypt'),
  ReplicateKey: notImplemented('ReplicateKey'),
  RetireGrant: notImplemented('RetireGrant'),
  RevokeGrant: notImplemented('RevokeGrant'),
  RotateKeyOnDemand: notImplemented('RotateKeyOnDemand'),
  ScheduleKeyDeletion: notImplemented('ScheduleKeyDeletion'),
  Sign: notImplemented('Sign'),
  TagResource: notImplemented('TagResource'),
  UntagResource: notImplemented('UntagResource'),
  UpdateAlias: notImplemented('UpdateAlias'),
  UpdateCustomKeyStore: updateCustomKeyStore,
  UpdateKeyDescription: notImplemented('UpdateKeyDescription'),
  UpdatePrimaryRegion: notImplemented('UpdatePrimaryRegion'),
  Verify: notImplemented('Verify'),
  VerifyMac: notImplemented('VerifyMac'),
};
