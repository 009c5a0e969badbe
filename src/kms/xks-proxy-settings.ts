/**
 * What an external key store records about its proxy, and the rules AWS applies to those
 * settings at CreateCustomKeyStore and UpdateCustomKeyStore (custom-key-stores.md §6.2, §12):
 * which members each XksProxyConnectivity needs or forbids, the uniqueness of the proxy URI,
 * of a VPC store's private DNS name and of its VPC endpoint service.
 *
 * kmsd has no VPC: a VPC_ENDPOINT_SERVICE store's service name is recorded and checked for
 * form only, and its proxy is reached at XksProxyUriEndpoint like a public one
 * (docs/compatibility.md).
 */
import type { XksProxyConfigurationType, XksProxyConnectivityType } from '../generated/kms.js';
import {
  XksProxyUriEndpointInUseException,
  XksProxyUriInUseException,
  XksProxyVpcEndpointServiceInUseException,
  XksProxyVpcEndpointServiceNotFoundException,
} from '../generated/kms.js';
import { ValidationException } from '../core/service-error.js';
import type { Scope } from '../store/store.js';
import type { CustomKeyStoreRow } from './custom-key-stores.js';

/** What a store row keeps about its proxy. The secret is wrapped under the root key. */
export interface XksStoreSettings {
  connectivity: XksProxyConnectivityType;
  uriEndpoint: string;
  uriPath: string;
  accessKeyId: string;
  secretWrapped: string;
  /** VPC_ENDPOINT_SERVICE only. */
  vpcEndpointServiceName?: string;
  /** VPC_ENDPOINT_SERVICE only: the account owning the service; the store's account unless given. */
  vpcEndpointServiceOwner?: string;
}

/** The settings as a request gives them, before the secret is wrapped. */
export type XksSettingsDraft = Omit<XksStoreSettings, 'secretWrapped'>;

/** DescribeCustomKeyStores' XksProxyConfiguration: never the secret; the VPC members only for a VPC store. */
export function xksProxyConfiguration(settings: XksStoreSettings): XksProxyConfigurationType {
  return {
    Connectivity: settings.connectivity,
    AccessKeyId: settings.accessKeyId,
    UriEndpoint: settings.uriEndpoint,
    UriPath: settings.uriPath,
    VpcEndpointServiceName: settings.vpcEndpointServiceName,
    VpcEndpointServiceOwner: settings.vpcEndpointServiceOwner,
  };
}

/**
 * The members of CreateCustomKeyStore that depend on the connectivity: VPC_ENDPOINT_SERVICE
 * needs XksProxyVpcEndpointServiceName (the owner defaults to the caller's account, as the
 * model says); PUBLIC_ENDPOINT takes neither (§15.3: ValidationException).
 */
export function vpcMembersForCreate(
  scope: Scope,
  connectivity: XksProxyConnectivityType,
  serviceName: string | undefined,
  serviceOwner: string | undefined,
): Pick<XksStoreSettings, 'vpcEndpointServiceName' | 'vpcEndpointServiceOwner'> {
  if (connectivity === 'PUBLIC_ENDPOINT') {
    if (serviceName !== undefined || serviceOwner !== undefined) throw vpcMembersWithPublicEndpoint();
    return {};
  }
  if (serviceName === undefined) {
    throw new ValidationException('XksProxyVpcEndpointServiceName is required when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.');
  }
  return { vpcEndpointServiceName: serviceName, vpcEndpointServiceOwner: serviceOwner ?? scope.account };
}

/**
 * UpdateCustomKeyStore's connectivity rules (the model's XksProxyConnectivity text): a switch
 * of connectivity needs a new XksProxyUriEndpoint; a switch to VPC_ENDPOINT_SERVICE needs the
 * service name; a switch to PUBLIC_ENDPOINT takes a null or empty service name, which clears it.
 */
export function vpcMembersForUpdate(
  scope: Scope,
  current: XksStoreSettings,
  input: {
    XksProxyConnectivity?: XksProxyConnectivityType;
    XksProxyUriEndpoint?: string;
    XksProxyVpcEndpointServiceName?: string;
    XksProxyVpcEndpointServiceOwner?: string;
  },
): Pick<XksStoreSettings, 'connectivity' | 'vpcEndpointServiceName' | 'vpcEndpointServiceOwner'> {
  const connectivity = input.XksProxyConnectivity ?? current.connectivity;
  const switching = connectivity !== current.connectivity;
  if (switching && (input.XksProxyUriEndpoint === undefined || input.XksProxyUriEndpoint === current.uriEndpoint)) {
    throw new ValidationException(`To change XksProxyConnectivity to ${connectivity}, you must also change the XksProxyUriEndpoint.`);
  }
  const name = input.XksProxyVpcEndpointServiceName || undefined;
  if (connectivity === 'PUBLIC_ENDPOINT') {
    if (name !== undefined || input.XksProxyVpcEndpointServiceOwner) throw vpcMembersWithPublicEndpoint();
    // Undefined on purpose: they replace a former VPC store's values.
    return { connectivity, vpcEndpointServiceName: undefined, vpcEndpointServiceOwner: undefined };
  }
  if (switching && name === undefined) {
    throw new ValidationException(
      'To change XksProxyConnectivity to VPC_ENDPOINT_SERVICE, you must also give XksProxyVpcEndpointServiceName.',
    );
  }
  return {
    connectivity,
    vpcEndpointServiceName: name ?? current.vpcEndpointServiceName,
    vpcEndpointServiceOwner: input.XksProxyVpcEndpointServiceOwner ?? current.vpcEndpointServiceOwner ?? scope.account,
  };
}

function vpcMembersWithPublicEndpoint(): ValidationException {
  return new ValidationException(
    'XksProxyVpcEndpointServiceName and XksProxyVpcEndpointServiceOwner are valid only with XksProxyConnectivity VPC_ENDPOINT_SERVICE.',
  );
}

/**
 * What kmsd can check of a VPC endpoint service without a VPC: its name (whose form the
 * model's pattern already checked) must name this Region, since an interface endpoint
 * reaches only a service of its own Region; any other name cannot be found.
 */
export function assertVpcEndpointServiceFindable(settings: XksSettingsDraft, region: string): void {
  const name = settings.vpcEndpointServiceName;
  if (name === undefined) return;
  const serviceRegion = /^(?:com|eu)\.amazonaws\.vpce\.([a-z0-9-]+)\.vpce-svc-/.exec(name)?.[1];
  if (serviceRegion !== region) {
    throw new XksProxyVpcEndpointServiceNotFoundException(`KMS cannot find the VPC endpoint service ${name} in Region ${region}.`);
  }
}

/**
 * Uniqueness in the account and Region (the model's XksProxyUriEndpoint and
 * XksProxyVpcEndpointServiceName texts): endpoint+path per store; a VPC store's endpoint (its
 * private DNS name) used by no other store, nor by a public store; one store per VPC
 * endpoint service.
 */
export function assertXksSettingsFree(stores: CustomKeyStoreRow[], selfId: string | undefined, next: XksSettingsDraft): void {
  const others = stores.filter((s) => s.id !== selfId);
  const sameUri = others.find((s) => s.xks?.uriEndpoint === next.uriEndpoint && s.xks.uriPath === next.uriPath);
  if (sameUri) {
    throw new XksProxyUriInUseException(
      `The XKS proxy URI ${next.uriEndpoint}${next.uriPath} is already used by custom key store ${sameUri.id}.`,
    );
  }
  const sameEndpoint = others.find(
    (s) =>
      s.xks?.uriEndpoint === next.uriEndpoint &&
      (next.connectivity === 'VPC_ENDPOINT_SERVICE' || s.xks.connectivity === 'VPC_ENDPOINT_SERVICE'),
  );
  if (sameEndpoint) {
    throw new XksProxyUriEndpointInUseException(
      `The XksProxyUriEndpoint ${next.uriEndpoint} is already used by custom key store ${sameEndpoint.id}. An external key store with VPC_ENDPOINT_SERVICE connectivity needs its own private DNS name, which no other external key store may use.`,
    );
  }
  if (next.vpcEndpointServiceName === undefined) return;
  const sameService = others.find(
    (s) => s.xks?.vpcEndpointServiceName === next.vpcEndpointServiceName && s.xks?.vpcEndpointServiceOwner === next.vpcEndpointServiceOwner,
  );
  if (sameService) {
    throw new XksProxyVpcEndpointServiceInUseException(
      `The VPC endpoint service ${next.vpcEndpointServiceName} is already associated with custom key store ${sameService.id}.`,
    );
  }
}
