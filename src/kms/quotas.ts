/**
 * AWS KMS quotas (developer guide, "Resource quotas" and "Request quotas"), each settable in
 * the configuration file's `quotas` object. Resource quotas are always enforced; request
 * (rate) quotas only with `kmsd serve --enforce-request-quotas` (KmsdOptions.enforceRequestQuotas).
 */
import type { KmsOperationName } from '../generated/kms.js';

/** Resource quotas per account and Region (or per key), AWS's defaults. */
export interface ResourceQuotas {
  /** Customer managed keys per account and Region, in any key state. */
  keysPerRegion: number;
  aliasesPerKey: number;
  grantsPerKey: number;
  customKeyStoresPerRegion: number;
  /** UTF-8 bytes of a key policy document. */
  keyPolicyBytes: number;
  tagsPerKey: number;
}

export const DEFAULT_RESOURCE_QUOTAS: ResourceQuotas = {
  keysPerRegion: 100_000,
  aliasesPerKey: 50,
  grantsPerKey: 50_000,
  customKeyStoresPerRegion: 10,
  keyPolicyBytes: 32_768,
  tagsPerKey: 50,
};

/**
 * Requests per second (may be fractional) per account and Region. The cryptographic groups are
 * shared by every operation that uses a key of that type; `cloudHsmKeyStore` applies to each
 * custom key store on top of them; `operations` gives the management operations their own.
 */
export interface RequestRateQuotas {
  cryptographicSymmetric: number;
  cryptographicRsa: number;
  cryptographicEcc: number;
  cloudHsmKeyStore: number;
  operations: Partial<Record<KmsOperationName, number>>;
}

/**
 * AWS's default request quotas. The symmetric group is 10,000 in most Regions (AWS raises it
 * to 20,000–100,000 in some: configure it to match the Region you emulate).
 */
export const DEFAULT_REQUEST_RATE_QUOTAS: RequestRateQuotas = {
  cryptographicSymmetric: 10_000,
  cryptographicRsa: 500,
  cryptographicEcc: 300,
  cloudHsmKeyStore: 1_800,
  operations: {
    CancelKeyDeletion: 5,
    ConnectCustomKeyStore: 5,
    CreateAlias: 5,
    CreateCustomKeyStore: 5,
    CreateGrant: 50,
    CreateKey: 50,
    DeleteAlias: 5,
    DeleteCustomKeyStore: 5,
    DeleteImportedKeyMaterial: 5,
    DescribeCustomKeyStores: 5,
    DescribeKey: 2_000,
    DisableKey: 5,
    DisableKeyRotation: 5,
    DisconnectCustomKeyStore: 5,
    EnableKey: 5,
    EnableKeyRotation: 5,
    GetKeyPolicy: 1_000,
    GetKeyRotationStatus: 1_000,
    GetParametersForImport: 5,
    GetPublicKey: 2_000,
    ImportKeyMaterial: 5,
    ListAliases: 100,
    ListGrants: 100,
    ListKeyPolicies: 100,
    ListKeyRotations: 100,
    ListKeys: 100,
    ListResourceTags: 100,
    ListRetirableGrants: 100,
    PutKeyPolicy: 15,
    ReplicateKey: 5,
    RetireGrant: 30,
    RevokeGrant: 30,
    RotateKeyOnDemand: 5,
    ScheduleKeyDeletion: 5,
    TagResource: 10,
    UntagResource: 5,
    UpdateAlias: 5,
    UpdateCustomKeyStore: 5,
    UpdateKeyDescription: 5,
    UpdatePrimaryRegion: 5,
  },
};

/** The resource quotas in force for a request. */
export function resourceQuotas(ctx: { deps: { quotas?: ResourceQuotas } }): ResourceQuotas {
  return ctx.deps.quotas ?? DEFAULT_RESOURCE_QUOTAS;
}

export interface QuotaSettings {
  resources: ResourceQuotas;
  rates: RequestRateQuotas;
}

/** The quota settings with the configuration's values over AWS's defaults. */
export function quotaSettings(
  configured: (Partial<ResourceQuotas> & { requestsPerSecond?: Partial<RequestRateQuotas> }) | undefined,
): QuotaSettings {
  const { requestsPerSecond, ...resources } = configured ?? {};
  return {
    resources: { ...DEFAULT_RESOURCE_QUOTAS, ...resources },
    rates: {
      ...DEFAULT_REQUEST_RATE_QUOTAS,
      ...requestsPerSecond,
      operations: { ...DEFAULT_REQUEST_RATE_QUOTAS.operations, ...requestsPerSecond?.operations },
    },
  };
}

/** The operations whose rate is the cryptographic quota of the key they use. */
export const CRYPTOGRAPHIC_OPERATIONS: ReadonlySet<KmsOperationName> = new Set<KmsOperationName>([
  'Decrypt',
  'DeriveSharedSecret',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateMac',
  'ReEncrypt',
  'Sign',
  'Verify',
  'VerifyMac',
]);
