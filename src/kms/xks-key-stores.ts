/**
 * KMS custom key stores of type EXTERNAL_KEY_STORE (custom-key-stores.md §12): the store's
 * proxy settings, CreateCustomKeyStore's checks, the health check behind Connect, CreateKey
 * with an XksKeyId, and the mapping of XKS proxy failures to KMS exceptions, per API, as
 * xks-proxy.md §7 tabulates. The proxy protocol itself is keystores/xks-proxy-client.ts.
 */
import type {
  ConnectionErrorCodeType,
  CreateCustomKeyStoreRequest,
  CreateCustomKeyStoreResponse,
  UpdateCustomKeyStoreRequest,
  UpdateCustomKeyStoreResponse,
} from '../generated/kms.js';
import {
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNameInUseException,
  KMSInternalException,
  KMSInvalidStateException,
  LimitExceededException,
  UnsupportedOperationException,
  XksKeyAlreadyInUseException,
  XksKeyInvalidConfigurationException,
  XksKeyNotFoundException,
  XksProxyIncorrectAuthenticationCredentialException,
  XksProxyInvalidConfigurationException,
  XksProxyInvalidResponseException,
  XksProxyUriUnreachableException,
} from '../generated/kms.js';
import { ValidationException } from '../core/service-error.js';
import { validationError } from '../core/validation-error.js';
import type { SymmetricKeyBackend } from '../keystores/key-backend.js';
import type { XksKeyStores } from '../keystores/xks-key-backend.js';
import { XksProxyError } from '../keystores/xks-proxy-client.js';
import type { XksFailure, XksProxyTarget } from '../keystores/xks-proxy-client.js';
import { xksFailureCause } from './keystore-errors.js';
import type { Scope } from '../store/store.js';
import type { KmsContext, KmsDeps } from './context.js';
import type { CustomKeyStoreRow } from './custom-key-stores.js';
import {
  allStores,
  customKeyStoreTable,
  findCustomKeyStore,
  invalidState,
  newCustomKeyStoreId,
  saveCustomKeyStore,
} from './custom-key-stores.js';
import type { KeyRow } from './keys.js';
import { keyTable } from './keys.js';
import { resourceQuotas } from './quotas.js';
import { assertVpcEndpointServiceFindable, assertXksSettingsFree, vpcMembersForCreate, vpcMembersForUpdate } from './xks-proxy-settings.js';
import type { XksSettingsDraft, XksStoreSettings } from './xks-proxy-settings.js';

export function xks(deps: KmsDeps): XksKeyStores {
  if (!deps.xksKeyStores) throw new KMSInternalException('External key stores are not available in this kmsd.');
  return deps.xksKeyStores;
}

function targetOf(deps: KmsDeps, scope: Scope, storeId: string, settings: XksStoreSettings): XksProxyTarget {
  return {
    uriEndpoint: settings.uriEndpoint,
    uriPath: settings.uriPath,
    accessKeyId: settings.accessKeyId,
    secretAccessKey: xks(deps).unwrapSecret(scope, storeId, settings.secretWrapped),
    region: scope.region,
  };
}

// ---- CreateCustomKeyStore ------------------------------------------------------------------

const CLOUDHSM_MEMBERS = ['CloudHsmClusterId', 'TrustAnchorCertificate', 'KeyStorePassword'] as const;

/**
 * CreateCustomKeyStore with CustomKeyStoreType EXTERNAL_KEY_STORE: members checked, uniqueness
 * checked, then, for PUBLIC_ENDPOINT connectivity, GetHealthStatus with the new settings (AWS
 * calls a public proxy during Create and a VPC one first at Connect, §12), then the row.
 */
export async function createExternalKeyStore(input: CreateCustomKeyStoreRequest, ctx: KmsContext): Promise<CreateCustomKeyStoreResponse> {
  for (const member of CLOUDHSM_MEMBERS) {
    if (input[member] !== undefined) throw new ValidationException(`${member} is valid only for custom key stores of type AWS_CLOUDHSM.`);
  }
  const connectivity = required(input.XksProxyConnectivity, 'xksProxyConnectivity');
  const uriEndpoint = required(input.XksProxyUriEndpoint, 'xksProxyUriEndpoint');
  const uriPath = required(input.XksProxyUriPath, 'xksProxyUriPath');
  const credential = required(input.XksProxyAuthenticationCredential, 'xksProxyAuthenticationCredential');
  const settings: XksSettingsDraft = {
    connectivity,
    uriEndpoint,
    uriPath,
    accessKeyId: credential.AccessKeyId,
    ...vpcMembersForCreate(ctx.scope, connectivity, input.XksProxyVpcEndpointServiceName, input.XksProxyVpcEndpointServiceOwner),
  };
  const assertFree = (stores: CustomKeyStoreRow[]) => {
    if (stores.some((s) => s.name === input.CustomKeyStoreName)) {
      throw new CustomKeyStoreNameInUseException(`Custom key store name ${input.CustomKeyStoreName} is already in use.`);
    }
    assertXksSettingsFree(stores, undefined, settings);
    const { customKeyStoresPerRegion } = resourceQuotas(ctx);
    if (stores.length >= customKeyStoresPerRegion) {
      throw new LimitExceededException(
        `Cannot create the custom key store: the account already has the maximum of ${customKeyStoresPerRegion} custom key stores in this Region.`,
      );
    }
  };
  assertFree(await allStores(ctx.deps.store, ctx.scope));
  assertVpcEndpointServiceFindable(settings, ctx.scope.region);
  if (connectivity === 'PUBLIC_ENDPOINT') {
    // Outside the transaction: a network call must not sit inside one that may retry.
    const target = { ...settings, secretAccessKey: credential.RawSecretAccessKey, region: ctx.scope.region };
    await xks(ctx.deps)
      .client.getHealthStatus(target, { kmsRequestId: ctx.requestId, kmsOperation: 'CreateCustomKeyStore' })
      .catch((err: unknown) => {
        throw storeSettingsError(err, uriEndpoint, uriPath);
      });
  }
  return ctx.deps.store.transaction(async () => {
    assertFree(await allStores(ctx.deps.store, ctx.scope));
    const id = newCustomKeyStoreId();
    const row: CustomKeyStoreRow = {
      id,
      name: input.CustomKeyStoreName,
      type: 'EXTERNAL_KEY_STORE',
      clusterId: '',
      trustAnchorCertificate: '',
      clusterCertificate: '',
      connectionState: 'DISCONNECTED',
      creationDate: ctx.now.getTime(),
      passwordWrapped: '',
      attempt: 0,
      xks: { ...settings, secretWrapped: xks(ctx.deps).wrapSecret(ctx.scope, id, credential.RawSecretAccessKey) },
    };
    await saveCustomKeyStore(ctx, row);
    return { CustomKeyStoreId: id };
  });
}

// ---- UpdateCustomKeyStore (§6.2) ------------------------------------------------------------

/**
 * UpdateCustomKeyStore for an external key store. Name, credential and path may change while
 * CONNECTED or DISCONNECTED; endpoint, connectivity and the VPC endpoint service only while
 * DISCONNECTED. Before proxy settings change, GetHealthStatus runs with the new values when
 * KMS can reach the proxy (public connectivity, or a VPC store that is connected); a failure
 * changes nothing.
 */
export async function updateExternalKeyStore(input: UpdateCustomKeyStoreRequest, ctx: KmsContext): Promise<UpdateCustomKeyStoreResponse> {
  for (const member of ['CloudHsmClusterId', 'KeyStorePassword'] as const) {
    if (input[member] !== undefined) throw new ValidationException(`${member} is valid only for custom key stores of type AWS_CLOUDHSM.`);
  }
  const plan = async () => {
    const row = await findCustomKeyStore(ctx, input.CustomKeyStoreId);
    const current = row.xks;
    if (!current) throw new KMSInternalException(`Custom key store ${row.id} has no external key store settings.`);
    const needsDisconnected =
      input.XksProxyUriEndpoint !== undefined ||
      input.XksProxyConnectivity !== undefined ||
      input.XksProxyVpcEndpointServiceName !== undefined ||
      input.XksProxyVpcEndpointServiceOwner !== undefined;
    if (needsDisconnected && row.connectionState !== 'DISCONNECTED') {
      throw invalidState(
        row,
        'To update the XksProxyUriEndpoint, XksProxyConnectivity or VPC endpoint service of an external key store, its connection state must be DISCONNECTED.',
      );
    }
    if (row.connectionState !== 'CONNECTED' && row.connectionState !== 'DISCONNECTED') {
      throw invalidState(row, 'You can update a custom key store only when it is CONNECTED or DISCONNECTED.');
    }
    const next: XksStoreSettings = {
      ...current,
      uriEndpoint: input.XksProxyUriEndpoint ?? current.uriEndpoint,
      uriPath: input.XksProxyUriPath ?? current.uriPath,
      accessKeyId: input.XksProxyAuthenticationCredential?.AccessKeyId ?? current.accessKeyId,
      ...vpcMembersForUpdate(ctx.scope, current, input),
    };
    const stores = await allStores(ctx.deps.store, ctx.scope);
    const name = input.NewCustomKeyStoreName ?? row.name;
    if (stores.some((s) => s.id !== row.id && s.name === name))
      throw new CustomKeyStoreNameInUseException(`Custom key store name ${name} is already in use.`);
    assertXksSettingsFree(stores, row.id, next);
    assertVpcEndpointServiceFindable(next, ctx.scope.region);
    return { row, name, next };
  };
  const { row, next } = await plan();
  const secret = input.XksProxyAuthenticationCredential?.RawSecretAccessKey;
  const proxyChanged = input.XksProxyUriEndpoint !== undefined || input.XksProxyUriPath !== undefined || secret !== undefined;
  const reachable = next.connectivity === 'PUBLIC_ENDPOINT' || row.connectionState === 'CONNECTED';
  if (proxyChanged && reachable) {
    // Outside the transaction: a network call must not sit inside one that may retry.
    const probe = targetOf(ctx.deps, ctx.scope, input.CustomKeyStoreId, next);
    if (secret !== undefined) probe.secretAccessKey = secret;
    await xks(ctx.deps)
      .client.getHealthStatus(probe, { kmsRequestId: ctx.requestId, kmsOperation: 'UpdateCustomKeyStore' })
      .catch((err: unknown) => {
        throw storeSettingsError(err, next.uriEndpoint, next.uriPath);
      });
  }
  await ctx.deps.store.transaction(async () => {
    // Checked again: the store may have changed while the proxy was called.
    const { row: latest, name, next: settings } = await plan();
    if (secret !== undefined) settings.secretWrapped = xks(ctx.deps).wrapSecret(ctx.scope, latest.id, secret);
    await saveCustomKeyStore(ctx, { ...latest, name, xks: settings });
  });
  return {};
}

function required<T>(value: T | undefined, path: string): T {
  if (value === undefined) throw validationError(path, null, 'Member must not be null');
  return value;
}

// ---- Failure mapping (xks-proxy.md §7) -----------------------------------------------------

function failureOf(err: unknown): XksFailure {
  if (err instanceof XksProxyError) return err.failure;
  throw err;
}

const UNREACHABLE: XksFailure[] = [
  'DependencyTimeoutException',
  'ThrottlingException',
  'Unreachable',
  'TimedOut',
  'TlsFailure',
  'AllEkmsUnavailable',
];

/** Create/UpdateCustomKeyStore column. */
function storeSettingsError(err: unknown, uriEndpoint: string, uriPath: string): Error {
  const failure = failureOf(err);
  if (failure === 'AuthenticationFailedException') {
    return new XksProxyIncorrectAuthenticationCredentialException(
      'The external key store proxy rejected the request because it could not authenticate the XksProxyAuthenticationCredential.',
    );
  }
  if (failure === 'InvalidUriPathException') {
    return new XksProxyInvalidConfigurationException(`The external key store proxy does not serve the path ${uriPath}.`);
  }
  if (UNREACHABLE.includes(failure)) {
    return new XksProxyUriUnreachableException(`KMS cannot communicate with the external key store proxy at ${uriEndpoint}.`);
  }
  return new XksProxyInvalidResponseException('KMS cannot interpret the response from the external key store proxy.');
}

/** ConnectCustomKeyStore: the FAILED state's ConnectionErrorCode (§4.3). */
function connectionErrorCode(failure: XksFailure): ConnectionErrorCodeType {
  switch (failure) {
    case 'AuthenticationFailedException':
      return 'INVALID_CREDENTIALS';
    case 'AccessDeniedException':
      return 'XKS_PROXY_ACCESS_DENIED';
    case 'InvalidUriPathException':
      return 'XKS_PROXY_INVALID_CONFIGURATION';
    case 'TimedOut':
      return 'XKS_PROXY_TIMED_OUT';
    case 'TlsFailure':
      return 'XKS_PROXY_INVALID_TLS_CONFIGURATION';
    case 'Unreachable':
    case 'AllEkmsUnavailable':
    case 'DependencyTimeoutException':
    case 'ThrottlingException':
      return 'XKS_PROXY_NOT_REACHABLE';
    default:
      return 'XKS_PROXY_INVALID_RESPONSE';
  }
}

/**
 * GetHealthStatus with the stored settings, for Connect's background part or the periodic
 * KmsHealthCheck; undefined when healthy, else the ConnectionErrorCode it amounts to.
 */
export async function xksConnectionError(
  deps: KmsDeps,
  scope: Scope,
  row: CustomKeyStoreRow,
  kmsOperation: 'ConnectCustomKeyStore' | 'KmsHealthCheck',
): Promise<ConnectionErrorCodeType | undefined> {
  if (!row.xks || !deps.xksKeyStores) return 'INTERNAL_ERROR';
  try {
    const target = targetOf(deps, scope, row.id, row.xks);
    const health = await deps.xksKeyStores
      .forRequest(target, { operation: kmsOperation, requestId: crypto.randomUUID() })
      .health(scope, row.id);
    if (health.healthy) return undefined;
    return health.error instanceof XksProxyError ? connectionErrorCode(health.error.failure) : 'INTERNAL_ERROR';
  } catch {
    return 'INTERNAL_ERROR';
  }
}

/** CreateKey column. */
function createKeyError(err: unknown, storeId: string, xksKeyId: string): Error {
  const failure = failureOf(err);
  switch (failure) {
    case 'KeyNotFoundException':
      return new XksKeyNotFoundException(`The external key store proxy did not find an external key with ID ${xksKeyId}.`);
    case 'InvalidStateException':
    case 'InvalidKeyUsageException':
    case 'UnsupportedOperationException':
      return new XksKeyInvalidConfigurationException(`The external key ${xksKeyId} is not enabled or does not support this operation.`);
    case 'AccessDeniedException':
      return new KMSInvalidStateException('The external key store proxy denied access to the operation.');
    default:
      return new CustomKeyStoreInvalidStateException(
        `KMS cannot use the external key store proxy of custom key store ${storeId}: ${xksFailureCause(failure)}`,
      );
  }
}

// ---- KMS keys in an external key store -----------------------------------------------------

/**
 * CreateKey with Origin EXTERNAL_KEY_STORE: symmetric, single-Region; the store CONNECTED;
 * the XksKeyId unused by another key of the store; the proxy's GetKeyMetadata must say
 * AES_256, ENCRYPT and DECRYPT, ENABLED (xks-proxy.md §4.1).
 */
export async function storeForNewXksKey(
  ctx: KmsContext,
  input: { CustomKeyStoreId?: string; XksKeyId?: string; KeySpec?: string; KeyUsage?: string; MultiRegion?: boolean },
): Promise<CustomKeyStoreRow> {
  const storeId = required(input.CustomKeyStoreId, 'customKeyStoreId');
  const xksKeyId = required(input.XksKeyId, 'xksKeyId');
  if ((input.KeySpec ?? 'SYMMETRIC_DEFAULT') !== 'SYMMETRIC_DEFAULT' || (input.KeyUsage ?? 'ENCRYPT_DECRYPT') !== 'ENCRYPT_DECRYPT') {
    throw new UnsupportedOperationException('Only SYMMETRIC_DEFAULT ENCRYPT_DECRYPT keys can be created in an external key store.');
  }
  if (input.MultiRegion) throw new UnsupportedOperationException('Multi-Region keys cannot be created in a custom key store.');
  const row = await findCustomKeyStore(ctx, storeId);
  if (row.type !== 'EXTERNAL_KEY_STORE' || !row.xks) {
    throw new UnsupportedOperationException(
      `Origin EXTERNAL_KEY_STORE requires a custom key store of type EXTERNAL_KEY_STORE; ${storeId} is not one.`,
    );
  }
  if (row.connectionState !== 'CONNECTED') {
    throw invalidState(row, 'You can create KMS keys in a custom key store only when it is CONNECTED.');
  }
  await assertXksKeyFree(ctx, row.id, xksKeyId);
  const metadata = await xks(ctx.deps)
    .client.getKeyMetadata(targetOf(ctx.deps, ctx.scope, row.id, row.xks), xksKeyId, {
      awsPrincipalArn: ctx.principalArn,
      kmsOperation: 'CreateKey',
      kmsRequestId: ctx.requestId,
    })
    .catch((err: unknown) => {
      throw createKeyError(err, row.id, xksKeyId);
    });
  if (metadata.keySpec !== 'AES_256' || !metadata.keyUsage.includes('ENCRYPT') || !metadata.keyUsage.includes('DECRYPT')) {
    throw new XksKeyInvalidConfigurationException(`The external key ${xksKeyId} must be an AES_256 key that allows ENCRYPT and DECRYPT.`);
  }
  if (metadata.keyStatus !== 'ENABLED') throw new XksKeyInvalidConfigurationException(`The external key ${xksKeyId} is not enabled.`);
  return row;
}

/** Two KMS keys of one store may not share an external key (§12). CreateKey checks again in its transaction. */
export async function assertXksKeyFree(ctx: KmsContext, storeId: string, xksKeyId: string): Promise<void> {
  if (await xksKeyInUse(ctx, storeId, xksKeyId)) {
    throw new XksKeyAlreadyInUseException(
      `The external key ${xksKeyId} is already associated with a KMS key in custom key store ${storeId}.`,
    );
  }
}

async function xksKeyInUse(ctx: KmsContext, storeId: string, xksKeyId: string): Promise<boolean> {
  const table = keyTable(ctx.deps.store);
  let marker: string | undefined;
  do {
    const page = await table.list(ctx.scope, { limit: 1000, marker });
    if (page.items.some((k) => k.customKeyStoreId === storeId && k.xksKeyId === xksKeyId)) return true;
    marker = page.next;
  } while (marker);
  return false;
}

/**
 * The backend of an external key store's key for this request: the store's proxy settings
 * are read at each call. Proxy failures of its seals and opens reach the client through
 * keystore-errors.ts (§7, crypto column).
 */
export function xksBackendFor(ctx: KmsContext, key: KeyRow): SymmetricKeyBackend {
  const backend = async () => {
    const scope = { account: key.account, region: key.region };
    const row = key.customKeyStoreId ? await customKeyStoreTable(ctx.deps.store).get(scope, key.customKeyStoreId) : undefined;
    if (!row?.xks) throw new KMSInvalidStateException(`${key.arn} is unavailable.`);
    return xks(ctx.deps).forRequest(targetOf(ctx.deps, scope, row.id, row.xks), {
      principalArn: ctx.principalArn,
      operation: ctx.operation,
      requestId: ctx.requestId,
    });
  };
  return {
    createMaterial: async (ref) => (await backend()).createMaterial(ref),
    destroyMaterial: async (ref) => (await backend()).destroyMaterial(ref),
    seal: async (ref, plaintext, aad) => (await backend()).seal(ref, plaintext, aad),
    open: async (ref, body, aad) => (await backend()).open(ref, body, aad),
    health: async (scope, storeId) => (await backend()).health(scope, storeId),
  };
}
