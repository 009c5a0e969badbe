import type { ClusterCertificates, HardwareRootName } from '../../cloudhsm/certificates.js';
import type { Route } from '../../gateway/http.js';

/**
 * GET /cloudhsm/hardware-roots/{aws,manufacturer}.pem: kmsd's stand-ins for the AWS CloudHSM
 * root and the HSM manufacturer's root, which AWS publishes for verifying an HSM's identity
 * (verify-hsm-identity.md). Public certificates only.
 */
export function hardwareRootsRoute(certificates: ClusterCertificates): Route {
  return async (req, res) => {
    const m = /^\/cloudhsm\/hardware-roots\/(aws|manufacturer)\.pem$/.exec((req.url ?? '').split('?')[0]);
    if (req.method !== 'GET' || !m) return false;
    const pem = await certificates.rootCertificate(m[1] as HardwareRootName);
    res.writeHead(200, { 'Content-Type': 'application/x-pem-file' });
    res.end(pem);
    return true;
  };
}
