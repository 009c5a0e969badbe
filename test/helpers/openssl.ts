/** The customer's side of CloudHSM initialization, done with the openssl command line. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Ca {
  certFile: string;
  keyFile: string;
  pem: string;
}

export class OpensslWorkspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'kmsd-openssl-'));
  private n = 0;

  file(name: string, content?: string): string {
    const path = join(this.dir, `${this.n++}-${name}`);
    if (content !== undefined) writeFileSync(path, content);
    return path;
  }

  async openssl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run('openssl', args);
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  /** Runs openssl writing `out`, and returns what it wrote. */
  private async produce(args: string[], out: string): Promise<string> {
    const r = await this.openssl([...args, '-out', out]);
    if (r.code !== 0) throw new Error(r.stderr);
    return readFileSync(out, 'utf8');
  }

  /** A self-signed issuing CA: `openssl req -x509` (the trust anchor, customerCA.crt). */
  async makeCa(name: string): Promise<Ca> {
    const keyFile = this.file(`${name}.key`);
    const certFile = this.file(`${name}.crt`);
    const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-subj', `/CN=${name}`, '-days', '3650'];
    return { certFile, keyFile, pem: await this.produce(args, certFile) };
  }

  /** Signs a CSR with the CA: `openssl x509 -req` (the cluster certificate). */
  async signCsr(ca: Ca, csrPem: string): Promise<string> {
    const args = [
      'x509',
      '-req',
      '-in',
      this.file('cluster.csr', csrPem),
      '-CA',
      ca.certFile,
      '-CAkey',
      ca.keyFile,
      '-CAcreateserial',
      '-days',
      '365',
    ];
    return this.produce(args, this.file('cluster.crt'));
  }

  /** A CSR for a fresh key of our own (not the cluster's). */
  async otherCsr(): Promise<string> {
    const args = ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', this.file('other.key'), '-subj', '/CN=not-the-cluster'];
    return this.produce(args, this.file('other.csr'));
  }

  /** `openssl verify`: does `cert` chain through `intermediate` to `root`? */
  async verify(rootPem: string, intermediatePem: string, certPem: string): Promise<{ code: number; stdout: string }> {
    return this.openssl([
      'verify',
      '-CAfile',
      this.file('root.pem', rootPem),
      '-untrusted',
      this.file('inter.pem', intermediatePem),
      this.file('cert.pem', certPem),
    ]);
  }

  /** The public key (PEM) of a certificate or CSR. */
  async publicKey(pem: string, kind: 'x509' | 'req'): Promise<string> {
    const r = await this.openssl([kind, '-in', this.file(`${kind}.pem`, pem), '-pubkey', '-noout']);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout;
  }

  /**
   * A TLS certificate for `host` (`/CN` and a DNS subjectAltName) issued by `ca`, with its
   * key: `openssl req -x509 -CA`. `extra` adds -addext values (e.g. extendedKeyUsage).
   */
  async serverCert(ca: Ca, host: string, extra: string[] = []): Promise<{ cert: string; key: string; certFile: string; keyFile: string }> {
    const keyFile = this.file(`${host}.key`);
    const certFile = this.file(`${host}.crt`);
    const args = ['req', '-x509', '-CA', ca.certFile, '-CAkey', ca.keyFile, '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
    args.push('-nodes', '-keyout', keyFile, '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`, '-days', '30');
    for (const ext of extra) args.push('-addext', ext);
    const cert = await this.produce(args, certFile);
    return { cert, key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
  }
}
