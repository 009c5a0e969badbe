/**
 * A development certificate for `kmsd serve --tls-cert/--tls-key` (kmsd dev-cert).
 *
 * A one-off CA signs one server certificate for localhost, 127.0.0.1 and ::1 (plus any extra
 * names), and its private key is thrown away at once: trusting dev-ca.pem (AWS_CA_BUNDLE,
 * NODE_EXTRA_CA_CERTS, a browser's store) then trusts that one certificate and nothing else
 * anyone could sign later. Separate CA and leaf also keep strict verifiers (OpenSSL 3,
 * Chromium) happy, which refuse a CA certificate used as a server certificate.
 */
import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { loadX509 } from '../cloudhsm/x509.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const VALIDITY_DAYS = 365;

export interface DevCertificate {
  /** PEM: the one-off CA to trust. */
  caPem: string;
  /** PEM: the server certificate. */
  certPem: string;
  /** PEM (PKCS#8): the server certificate's private key. */
  keyPem: string;
  /** DNS names and IP addresses the certificate is valid for. */
  names: string[];
  notAfter: Date;
}

export async function createDevCertificate(extraNames: string[] = [], now = new Date()): Promise<DevCertificate> {
  const x509 = await loadX509();
  const names = [...new Set(['localhost', '127.0.0.1', '::1', ...extraNames])];
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + VALIDITY_DAYS * 86_400_000);
  const serial = () =>
    randomBytes(16)
      .toString('hex')
      .replace(/^[89a-f]/, '1');

  const caKeys = (await webcrypto.subtle.generateKey(EC, false, ['sign', 'verify'])) as CryptoKeyPair;
  const caName = `CN=kmsd development CA ${randomBytes(4).toString('hex')}, O=kmsd`;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: caName,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const leafKeys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=localhost, O=kmsd',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: isIP(n) ? ('ip' as const) : ('dns' as const), value: n }))),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keyPem = KeyObject.from(leafKeys.privateKey).export({ format: 'pem', type: 'pkcs8' }).toString();
  return { caPem: `${ca.toString('pem')}\n`, certPem: `${leaf.toString('pem')}\n`, keyPem, names, notAfter };
}
