/** `kmsd dev-cert`: write a development TLS certificate for localhost into the data directory. */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createDevCertificate } from '../server/dev-cert.js';
import { parseOptions, UsageError } from './usage.js';

export const DEV_CERT_HELP = `Usage: kmsd dev-cert [options]

Write a self-signed development certificate for localhost, 127.0.0.1 and ::1 into the data
directory, for kmsd serve --tls-cert/--tls-key:
  <data-dir>/dev-ca.pem     the one-off CA that signed it: trust this file
  <data-dir>/dev-cert.pem   the server certificate (valid 365 days)
  <data-dir>/dev-key.pem    its private key (mode 0600)
The CA's own private key is discarded, so trusting dev-ca.pem trusts this one certificate only.

Options:
  --data-dir <dir>   Where to write              [KMSD_DATA_DIR, default ./data]
  --names <list>     Extra comma-separated DNS names or IP addresses to include
  --force            Replace an existing development certificate
  -h, --help         Show this help

Exit codes: 0 written, 1 failure, 2 usage error (or files exist without --force).
`;

export async function devCert(argv: string[]): Promise<void> {
  const { values } = parseOptions(argv, {
    'data-dir': { type: 'string' },
    names: { type: 'string' },
    force: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(DEV_CERT_HELP);
    return;
  }
  const dir = resolve(values['data-dir'] ?? process.env.KMSD_DATA_DIR ?? './data');
  const files = { ca: join(dir, 'dev-ca.pem'), cert: join(dir, 'dev-cert.pem'), key: join(dir, 'dev-key.pem') };
  const existing = Object.values(files).filter((f) => existsSync(f));
  if (existing.length > 0 && !values.force) throw new UsageError(`${existing.join(', ')} already exist(s); add --force to replace`);
  const extra = (values.names ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const cert = await createDevCertificate(extra);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The key is written 0600 from its first byte (a later chmod would leave a window).
  writeFileSync(files.key, cert.keyPem, { mode: 0o600, flag: values.force ? 'w' : 'wx' });
  // An existing file keeps its mode on rewrite (--force).
  chmodSync(files.key, 0o600);
  writeFileSync(files.cert, cert.certPem, { mode: 0o644 });
  writeFileSync(files.ca, cert.caPem, { mode: 0o644 });
  process.stdout
    .write(`Wrote a development certificate for ${cert.names.join(', ')} (valid until ${cert.notAfter.toISOString().slice(0, 10)}):
  ${files.cert}
  ${files.key} (mode 0600)
  ${files.ca} (the CA to trust)

Serve HTTPS with it:
  kmsd serve --tls-cert ${files.cert} --tls-key ${files.key}

Trust it in clients (the CA file, not the certificate):
  AWS CLI, boto3 and the other AWS SDKs:  export AWS_CA_BUNDLE=${files.ca}
  Node.js (AWS SDK for JavaScript):       export NODE_EXTRA_CA_CERTS=${files.ca}
  Browsers: import ${files.ca} as a trusted certificate authority (for websites).
Then use https://localhost:4599 (or https://127.0.0.1:4599) as the endpoint URL.
`);
}
