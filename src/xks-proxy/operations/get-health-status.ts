/**
 * GetHealthStatus (xks-proxy.md §4.4): a deep check, the token encrypting and decrypting with
 * a test key. A failed check is reported as an UNAVAILABLE key manager, which KMS treats as
 * an unreachable proxy, rather than as an error.
 */
import type { ExternalKeyManager } from '../key-manager.js';
import type { JsonObject } from '../request.js';

/** §6 allows no ValidationException here: the request's members are not checked. */
export async function getHealthStatus(keys: ExternalKeyManager): Promise<JsonObject> {
  const ekm = await keys.health().then(
    (h) => ({ id: h.tokenLabel, model: `${h.manufacturer} ${h.model}`, healthStatus: 'ACTIVE' }),
    () => ({ id: 'pkcs11', model: 'PKCS#11 token', healthStatus: 'UNAVAILABLE' }),
  );
  return {
    xksProxyFleetSize: 1,
    xksProxyVendor: 'kmsd',
    xksProxyModel: 'kmsd xks-proxy',
    ekmVendor: 'PKCS#11',
    ekmFleetDetails: [ekm],
  };
}
