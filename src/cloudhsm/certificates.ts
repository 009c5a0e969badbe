/**
 * The cluster's certificates (shared/spec/cloudhsm.md §6), made for real with @peculiar/x509:
 *
 * - kmsd's own "hardware" roots, standing in for the AWS CloudHSM root and the HSM
 *   manufacturer's root: generated once per installation, private keys wrapped by the
 *   RootKey, public certificates downloadable (like AWS publishes its roots);
 * - for a cluster's first HSM: the cluster key pair and its PKCS#10 CSR, and a per-HSM
 *   "hardware" key that issues the HsmCertificate (same public key as the CSR) and is
 *   itself certified by both roots (AwsHardwareCertificate, ManufacturerHardwareCertificate),
 *   so the identity check of AWS's verify-hsm-identity procedure works with openssl;
 * - InitializeCluster's checks of the customer's signed cluster certificate and trust anchor.
 */
import { randomBytes } from 'node:crypto';
import type { RootKey } from '../keystores/root-key.js';
import type { Store } from '../store/store.js';
import { webcrypto } from 'node:crypto';
import { loadX509 } from './x509.js';
import type { X509 } from './x509.js';

const RSA: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;
/** Installation-wide rows live outside any account. */
const GLOBAL = { account: 'kmsd', region: 'global' };

interface RootRow {
  certificate: string;
  privateKeyWrapped: string;
}

export type HardwareRootName = 'aws' | 'manufacturer';
const ROOT_SUBJECTS: Record<HardwareRootName, string> = {
  aws: 'CN=kmsd CloudHSM Root CA,O=kmsd,OU=emulated AWS CloudHSM',
  manufacturer: 'CN=kmsd HSM Manufacturer Root CA,O=kmsd,OU=emulated HSM hardware',
};

const subtle = (): SubtleCrypto => webcrypto.subtle as unknown as SubtleCrypto;

async function generateRsa(): Promise<CryptoKeyPair> {
  return subtle().generateKey(RSA, true, ['sign', 'verify']);
}

function serial(): string {
  // Positive 16-byte serial number (high bit clear), as RFC 5280 asks.
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return b.toString('hex');
}

const caExtensions = async (x509: typeof X509, publicKey: CryptoKey): Promise<X509.Extension[]> => [
  new x509.BasicConstraintsExtension(true, undefined, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  await x509.SubjectKeyIdentifierExtension.create(publicKey),
];

export class ClusterCertificates {
  private roots = new Map<HardwareRootName, Promise<{ cert: X509.X509Certificate; key: CryptoKey }>>();

  constructor(
    private readonly store: Store,
    private readonly rootKey: RootKey,
    private readonly now: () => Date,
  ) {}

  /** The PEM certificate of one of kmsd's hardware roots (created on first use). */
  async rootCertificate(name: HardwareRootName): Promise<string> {
    return (await this.root(name)).cert.toString('pem');
  }

  private root(name: HardwareRootName): Promise<{ cert: X509.X509Certificate; key: CryptoKey }> {
    let r = this.roots.get(name);
    if (!r) {
      r = this.loadOrCreateRoot(name);
      r.catch(() => this.roots.delete(name));
      this.roots.set(name, r);
    }
    return r;
  }

  private async loadOrCreateRoot(name: HardwareRootName): Promise<{ cert: X509.X509Certificate; key: CryptoKey }> {
    const x509 = await loadX509();
    const table = this.store.table<RootRow>('cloudhsm_hardware_roots');
    const aad = `kmsd-cloudhsm-hardware-root:${name}`;
    const row = await this.store.transaction(async () => {
      const existing = await table.get(GLOBAL, name);
      if (existing) return existing;
      const keys = await generateRsa();
      const notBefore = this.now();
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serial(),
        name: ROOT_SUBJECTS[name],
        keys,
        notBefore,
        notAfter: new Date(notBefore.getTime() + 30 * YEAR_MS),
        signingAlgorithm: RSA,
        extensions: await caExtensions(x509, keys.publicKey),
      });
      const pkcs8 = Buffer.from(await subtle().exportKey('pkcs8', keys.privateKey));
      const created: RootRow = { certificate: cert.toString('pem'), privateKeyWrapped: this.rootKey.wrap(pkcs8, aad) };
      await table.put(GLOBAL, name, created);
      return created;
    });
    const pkcs8 = this.rootKey.unwrap(row.privateKeyWrapped, aad);
    const copy = new Uint8Array(pkcs8);
    pkcs8.fill(0);
    const key = await subtle()
      .importKey('pkcs8', copy, RSA, false, ['sign'])
      .finally(() => copy.fill(0));
    return { cert: new x509.X509Certificate(row.certificate), key };
  }

  /**
   * What the first HSM of a new cluster produces: the cluster key pair (private key PKCS#8,
   * wrapped by the RootKey), its CSR, and the hardware certificates vouching for the HSM.
   */
  async forFirstHsm(
    aad: string,
    hsmId: string,
  ): Promise<{
    clusterPrivateKeyWrapped: string;
    ClusterCsr: string;
    HsmCertificate: string;
    AwsHardwareCertificate: string;
    ManufacturerHardwareCertificate: string;
  }> {
    const x509 = await loadX509();
    const [aws, manufacturer] = [await this.root('aws'), await this.root('manufacturer')];
    const clusterKeys = await generateRsa();
    const hardwareKeys = await generateRsa();
    const hardwareSerial = randomBytes(8).toString('hex').toUpperCase();
    const partition = `CN=HSM:${hardwareSerial}:PARTN:${hsmId},O=kmsd,OU=emulated CloudHSM cluster`;
    const hardware = `CN=HSM:${hardwareSerial},O=kmsd,OU=emulated HSM hardware`;
    const notBefore = this.now();
    const notAfter = new Date(notBefore.getTime() + 10 * YEAR_MS);

    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: partition, keys: clusterKeys, signingAlgorithm: RSA });
    const hsmCert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: partition,
      issuer: hardware,
      publicKey: clusterKeys.publicKey,
      signingKey: hardwareKeys.privateKey,
      notBefore,
      notAfter,
      signingAlgorithm: RSA,
    });
    const hardwareCert = async (root: { cert: X509.X509Certificate; key: CryptoKey }): Promise<string> =>
      (
        await x509.X509CertificateGenerator.create({
          serialNumber: serial(),
          subject: hardware,
          issuer: root.cert.subject,
          publicKey: hardwareKeys.publicKey,
          signingKey: root.key,
          notBefore,
          notAfter,
          signingAlgorithm: RSA,
          extensions: await caExtensions(x509, hardwareKeys.publicKey),
        })
      ).toString('pem');
    const pkcs8 = Buffer.from(await subtle().exportKey('pkcs8', clusterKeys.privateKey));
    return {
      clusterPrivateKeyWrapped: this.rootKey.wrap(pkcs8, aad),
      ClusterCsr: csr.toString('pem'),
      HsmCertificate: hsmCert.toString('pem'),
      AwsHardwareCertificate: await hardwareCert(aws),
      ManufacturerHardwareCertificate: await hardwareCert(manufacturer),
    };
  }
}

/**
 * InitializeCluster's checks (initialize-cluster.md): the signed certificate must carry the
 * CSR's public key and be issued by the trust anchor, which must be a self-signed root.
 * Returns a reason when the pair is refused, undefined when it is accepted.
 */
export async function checkSignedCertificate(csrPem: string, signedCertPem: string, trustAnchorPem: string): Promise<string | undefined> {
  const x509 = await loadX509();
  let signed: X509.X509Certificate;
  let anchor: X509.X509Certificate;
  try {
    signed = new x509.X509Certificate(signedCertPem);
  } catch {
    return 'The signed certificate is not a valid PEM-encoded X.509 certificate.';
  }
  try {
    anchor = new x509.X509Certificate(trustAnchorPem);
  } catch {
    return 'The trust anchor is not a valid PEM-encoded X.509 certificate.';
  }
  try {
    if (!(await anchor.isSelfSigned())) return 'The trust anchor must be a self-signed root certificate.';
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    if (!Buffer.from(csr.publicKey.rawData).equals(Buffer.from(signed.publicKey.rawData))) {
      return "The signed certificate's public key does not match the cluster's certificate signing request.";
    }
    if (!(await signed.verify({ publicKey: anchor.publicKey, signatureOnly: true }))) {
      return 'The signed certificate was not issued by the trust anchor.';
    }
    return undefined;
  } catch {
    // An algorithm WebCrypto cannot verify: refuse rather than accept unverified.
    return 'The signed certificate could not be verified with the trust anchor (unsupported key or signature algorithm).';
  }
}
