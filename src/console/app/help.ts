/**
 * What each custom key store error and connection error code means and how to fix it, in the
 * console's own words. The Troubleshooting page lists all of them; error messages elsewhere
 * link to the matching entry by its anchor (the error name or code).
 */
export interface HelpEntry {
  id: string;
  title: string;
  /** One line: what went wrong. */
  problem: string;
  /** What to do about it. */
  fix: string;
}

export const ERROR_HELP: HelpEntry[] = [
  {
    id: 'CloudHsmClusterNotRelatedException',
    title: 'Cluster is not related',
    problem: 'The chosen cluster does not share a backup history (the same cluster certificate) with the cluster the key store uses.',
    fix: 'Pick the original cluster, a cluster created from one of its backups, or a cluster created from the same backup. The edit form lists those as related clusters.',
  },
  {
    id: 'CloudHsmClusterNotFoundException',
    title: 'Cluster not found',
    problem: 'No CloudHSM cluster with that ID exists in this account and Region.',
    fix: 'Check the cluster ID and the Region selected in the upper right, then try again.',
  },
  {
    id: 'CloudHsmClusterNotActiveException',
    title: 'Cluster is not active',
    problem: 'The cluster has not been initialized and activated, or it is in another state than ACTIVE.',
    fix: 'Initialize the cluster, activate it (set the admin password) and wait for the state ACTIVE.',
  },
  {
    id: 'CloudHsmClusterInvalidConfigurationException',
    title: 'Cluster configuration is not sufficient',
    problem:
      'The cluster lacks what KMS needs: subnets in at least two Availability Zones, at least two active HSMs in different zones (one to connect), or its security group rules.',
    fix: 'Add HSMs in a second Availability Zone on the AWS CloudHSM clusters page, then try again.',
  },
  {
    id: 'CloudHsmClusterInUseException',
    title: 'Cluster already in use',
    problem: 'This cluster, or a cluster with the same backup history, already backs another custom key store.',
    fix: 'Use a cluster that is not related to any existing key store, or use the existing key store.',
  },
  {
    id: 'IncorrectTrustAnchorException',
    title: 'Wrong trust anchor certificate',
    problem: 'The certificate given is not the issuing CA certificate that was used to initialize the cluster.',
    fix: 'Paste the content of the customerCA.crt file that signed the cluster certificate at initialization.',
  },
  {
    id: 'CustomKeyStoreNameInUseException',
    title: 'Name already in use',
    problem: 'Another custom key store in this account and Region already has that friendly name.',
    fix: 'Choose a different name.',
  },
  {
    id: 'CustomKeyStoreNotFoundException',
    title: 'Key store not found',
    problem: 'No custom key store with that ID or name exists in this account and Region.',
    fix: 'Check the Region selected in the upper right and reload the list.',
  },
  {
    id: 'CustomKeyStoreInvalidStateException',
    title: 'Not allowed in the current connection state',
    problem: 'The operation is not allowed while the key store is in its current connection state.',
    fix: 'Disconnect the key store before changing its cluster or kmsuser password or deleting it; a FAILED key store must be disconnected before it can be connected again; create keys only while it is CONNECTED.',
  },
  {
    id: 'CustomKeyStoreHasCMKsException',
    title: 'Key store still holds KMS keys',
    problem: 'A custom key store can only be deleted when it contains no KMS keys, including keys pending deletion.',
    fix: 'Schedule deletion of every KMS key in the store, wait until the waiting period has ended, then delete the key store.',
  },
  {
    id: 'LimitExceededException',
    title: 'Too many custom key stores',
    problem: 'An account can have at most 10 custom key stores in a Region.',
    fix: 'Delete a custom key store you no longer use.',
  },
  {
    id: 'KMSInvalidStateException',
    title: 'Key unavailable',
    problem:
      'A cryptographic operation used a KMS key whose custom key store is not connected (the key shows Unavailable), or a key in a state that does not allow it.',
    fix: 'Connect the custom key store, then retry; a disabled key must be enabled first.',
  },
  {
    id: 'UnsupportedOperationException',
    title: 'Not supported in a custom key store',
    problem:
      'The request asked for something a custom key store cannot hold or do, such as an asymmetric or HMAC key in a CloudHSM key store.',
    fix: 'Create a symmetric encryption key (SYMMETRIC_DEFAULT) in the key store, or create the key in AWS KMS instead.',
  },
  {
    id: 'XksProxyUriInUseException',
    title: 'Proxy endpoint and path already used',
    problem: 'Another external key store in this account and Region uses the same proxy endpoint and path.',
    fix: 'Give each external key store its own proxy path or endpoint.',
  },
  {
    id: 'XksProxyUriEndpointInUseException',
    title: 'Proxy endpoint already used',
    problem: 'Another external key store already uses this proxy endpoint.',
    fix: 'Use a distinct proxy endpoint for this key store.',
  },
  {
    id: 'XksProxyUriUnreachableException',
    title: 'Proxy unreachable',
    problem: 'KMS could not reach the external key store proxy, or the proxy reports that no external key manager is available.',
    fix: 'Check the proxy endpoint and path and that the proxy and its key managers are running.',
  },
  {
    id: 'XksProxyIncorrectAuthenticationCredentialException',
    title: 'Proxy credential refused',
    problem: 'The proxy did not accept the access key ID and secret given for it.',
    fix: 'Enter the credential configured on the proxy (both the access key ID and the secret).',
  },
  {
    id: 'XksProxyInvalidResponseException',
    title: 'Proxy answer not understood',
    problem: 'KMS could not interpret what the proxy replied.',
    fix: 'Check the proxy software version and its logs.',
  },
  {
    id: 'XksProxyInvalidConfigurationException',
    title: 'Proxy configuration problem',
    problem: 'The key store settings and the proxy do not match, usually the URI path.',
    fix: 'Correct the proxy URI path in the key store settings.',
  },
  {
    id: 'XksProxyVpcEndpointServiceInUseException',
    title: 'Endpoint service already used',
    problem: 'Another external key store already uses this VPC endpoint service.',
    fix: 'Give each external key store its own VPC endpoint service.',
  },
  {
    id: 'XksProxyVpcEndpointServiceNotFoundException',
    title: 'Endpoint service not found',
    problem: 'KMS cannot find the VPC endpoint service, or may not connect to it.',
    fix: 'Check the service name and allow KMS as a consumer of the service.',
  },
  {
    id: 'XksProxyVpcEndpointServiceInvalidConfigurationException',
    title: 'Endpoint service not set up as KMS needs',
    problem: 'The VPC endpoint service does not meet the requirements of KMS.',
    fix: 'Use an interface endpoint service with a load balancer in two zones, KMS allowed as principal, no acceptance required and a verified private DNS name.',
  },
  {
    id: 'ValidationException',
    title: 'Invalid value',
    problem: 'A value does not meet its constraints (for example the kmsuser password must be 7 to 32 characters).',
    fix: 'Correct the value named in the message.',
  },
  {
    id: 'KMSInternalException',
    title: 'Internal error',
    problem: 'kmsd failed internally while handling the request.',
    fix: 'Try again; if it keeps failing, check the kmsd log.',
  },
];

export const CONNECTION_HELP: HelpEntry[] = [
  {
    id: 'INVALID_CREDENTIALS',
    title: 'INVALID_CREDENTIALS',
    problem: 'The kmsuser password KMS has is not the current password of kmsuser in the cluster.',
    fix: 'Disconnect the key store, edit its settings and enter the current kmsuser password, then connect.',
  },
  {
    id: 'CLUSTER_NOT_FOUND',
    title: 'CLUSTER_NOT_FOUND',
    problem: 'The cluster the key store points to no longer exists.',
    fix: 'Create a cluster from a backup of the original cluster, disconnect, point the key store at the new cluster in its settings, then connect.',
  },
  {
    id: 'NETWORK_ERRORS',
    title: 'NETWORK_ERRORS',
    problem: 'KMS could not reach the backing key store, usually for a short while.',
    fix: 'Disconnect, wait a few minutes and connect again.',
  },
  {
    id: 'INTERNAL_ERROR',
    title: 'INTERNAL_ERROR',
    problem: 'KMS failed internally while connecting.',
    fix: 'Disconnect and connect again.',
  },
  {
    id: 'INSUFFICIENT_CLOUDHSM_HSMS',
    title: 'INSUFFICIENT_CLOUDHSM_HSMS',
    problem: 'The cluster has no active HSM.',
    fix: 'Add at least one HSM to the cluster (two in different zones to create keys), disconnect, then connect.',
  },
  {
    id: 'USER_LOCKED_OUT',
    title: 'USER_LOCKED_OUT',
    problem: 'kmsuser is locked after too many failed logins.',
    fix: 'Unlock kmsuser by setting a new password on the clusters page, disconnect, enter that password in the key store settings, then connect.',
  },
  {
    id: 'USER_NOT_FOUND',
    title: 'USER_NOT_FOUND',
    problem: 'The cluster has no crypto user named kmsuser.',
    fix: 'Create the crypto user kmsuser on the clusters page, disconnect, enter its password in the key store settings, then connect.',
  },
  {
    id: 'USER_LOGGED_IN',
    title: 'USER_LOGGED_IN',
    problem: 'Someone else is logged in to the cluster as kmsuser, so KMS cannot log in and rotate its password.',
    fix: 'End that kmsuser session; if its password was changed, enter the new one in the key store settings. Then disconnect and connect.',
  },
  {
    id: 'SUBNET_NOT_FOUND',
    title: 'SUBNET_NOT_FOUND',
    problem: 'A subnet of the cluster configuration has been deleted.',
    fix: 'Create a cluster from a recent backup in existing subnets, point the key store at it, then connect.',
  },
  {
    id: 'INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET',
    title: 'INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET',
    problem: 'A subnet of the cluster has no free IP address for the network interface KMS creates.',
    fix: 'Free addresses in every subnet of the cluster, disconnect, then connect.',
  },
  {
    id: 'XKS_PROXY_ACCESS_DENIED',
    title: 'XKS_PROXY_ACCESS_DENIED',
    problem: 'The external key store proxy refuses KMS by its own authorization rules.',
    fix: 'Allow KMS in the proxy configuration, then disconnect and connect.',
  },
  {
    id: 'XKS_PROXY_INVALID_CONFIGURATION',
    title: 'XKS_PROXY_INVALID_CONFIGURATION',
    problem: 'The key store and its proxy do not agree on the configuration.',
    fix: 'Check the proxy URI path in the key store settings.',
  },
  {
    id: 'XKS_PROXY_INVALID_RESPONSE',
    title: 'XKS_PROXY_INVALID_RESPONSE',
    problem: 'KMS could not understand what the proxy answered.',
    fix: 'Check the proxy software and its logs.',
  },
  {
    id: 'XKS_PROXY_INVALID_TLS_CONFIGURATION',
    title: 'XKS_PROXY_INVALID_TLS_CONFIGURATION',
    problem: 'The proxy TLS setup is not acceptable (protocol version, expired certificate, host name or issuing CA).',
    fix: 'Serve TLS 1.2 or 1.3 with a valid certificate for the proxy host name from a trusted CA.',
  },
  {
    id: 'XKS_PROXY_NOT_REACHABLE',
    title: 'XKS_PROXY_NOT_REACHABLE',
    problem: 'KMS cannot talk to the proxy, or the proxy reports no external key manager available.',
    fix: 'Check the proxy endpoint and path and that the proxy and its key managers are running.',
  },
  {
    id: 'XKS_PROXY_TIMED_OUT',
    title: 'XKS_PROXY_TIMED_OUT',
    problem: 'The proxy was reached but answered too late.',
    fix: 'Check the proxy load and its network path, then connect again.',
  },
  {
    id: 'XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION',
    title: 'XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION',
    problem: 'The VPC endpoint service of the proxy does not meet the requirements of KMS.',
    fix: 'Review the endpoint service: load balancer in two zones, KMS allowed as principal, no acceptance required, verified private DNS name.',
  },
  {
    id: 'XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND',
    title: 'XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND',
    problem: 'KMS cannot find the VPC endpoint service, or may not use it.',
    fix: 'Check the service name and grant KMS permission to connect to it.',
  },
];

export function findHelp(id: string): HelpEntry | undefined {
  return ERROR_HELP.find((e) => e.id === id) ?? CONNECTION_HELP.find((e) => e.id === id);
}
