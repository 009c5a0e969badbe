/**
 * Issue 14: secret scan. A kmsd with a data directory, an audit log and a captured log is
 * driven with known plaintexts and passwords (KMS plaintexts, HSM user passwords, a wrong
 * guess, the console secret); then the data directory (database, WAL), the log, the audit log
 * and every API response are searched for each of them. Only the responses whose purpose is
 * to return a plaintext (Decrypt, GenerateDataKey) may carry it.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, removeDir, startKmsd, TEST_HSM_PASSWORD_COST } from '../helpers/kmsd.js';
import type { RawResponse, TestKmsd } from '../helpers/kmsd.js';
import { setupCluster } from '../helpers/hsm-cluster.js';
import { createHsmModule } from '../../src/cloudhsm/hsm/index.js';
import { RootKey } from '../../src/keystores/root-key.js';

const CLUSTER = 'cluster-secretscana';
const PLAINTEXT = `plaintext-${randomBytes(8).toString('hex')}`;
const ADMIN_PASSWORD = `adm${randomBytes(6).toString('hex')}`;
const USER_PASSWORD = `usr${randomBytes(6).toString('hex')}`;
const WRONG_GUESS = `gss${randomBytes(6).toString('hex')}`;

let t: TestKmsd;
let rootKey: string;
const logged: string[] = [];
const responses: { operation: string; text: string }[] = [];
let auditFile = '';
let closed = false;

beforeAll(async () => {
  rootKey = randomBytes(32).toString('base64');
  auditFile = join(process.env.TMPDIR ?? '/tmp', `kmsd-audit-${randomBytes(4).toString('hex')}.log`);
  t = await startKmsd({ persistent: true, rootKey, auditLog: auditFile, log: (entry) => logged.push(JSON.stringify(entry)) });
  await setupCluster(
    t.kmsd.store,
    createHsmModule({
      store: t.kmsd.store,
      clock: t.kmsd.clock,
      rootKey: RootKey.fromBase64(rootKey),
      passwordCost: TEST_HSM_PASSWORD_COST,
    }),
    CLUSTER,
  );
});
afterAll(async () => {
  if (!closed) await t?.close();
  removeDir(t?.dataDir);
  removeDir(auditFile);
});

async function call(service: 'kms' | 'cloudhsm', target: string, input: Record<string, unknown>): Promise<RawResponse> {
  const r = await rawRequest(t.url, { service, target, body: JSON.stringify(input) });
  responses.push({ operation: target, text: JSON.stringify(r.body) });
  return r;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const forms = (s: string) => [s, b64(s), Buffer.from(s).toString('hex')];

describe('secret scan', () => {
  it('finds no plaintext or password in the data directory, the logs or the responses', async () => {
    const key = await call('kms', 'TrentService.CreateKey', {});
    const keyId = (key.body.KeyMetadata as { KeyId: string }).KeyId;
    const enc = await call('kms', 'TrentService.Encrypt', {
      KeyId: keyId,
      Plaintext: b64(PLAINTEXT),
      EncryptionContext: { purpose: 'scan' },
    });
    expect(enc.status).toBe(200);
    const dec = await call('kms', 'TrentService.Decrypt', {
      CiphertextBlob: enc.body.CiphertextBlob,
      EncryptionContext: { purpose: 'scan' },
    });
    expect(dec.body.Plaintext).toBe(b64(PLAINTEXT));
    const dataKey = await call('kms', 'TrentService.GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' });
    const dataKeyPlaintext = Buffer.from(String(dataKey.body.Plaintext), 'base64');

    const mgmt = (op: string, input: Record<string, unknown>) =>
      call('cloudhsm', `KmsdHsmManagement.${op}`, { ClusterId: CLUSTER, ...input });
    expect((await mgmt('ActivateCluster', { AdminPassword: ADMIN_PASSWORD })).status).toBe(200);
    const created = await mgmt('CreateUser', {
      AdminPassword: ADMIN_PASSWORD,
      Username: 'kmsuser',
      Role: 'crypto-user',
      Password: USER_PASSWORD,
    });
    expect(created.status).toBe(200);
    expect((await mgmt('Login', { Username: 'kmsuser', Role: 'crypto-user', Password: WRONG_GUESS })).status).toBe(400);
    expect((await mgmt('Login', { Username: 'kmsuser', Role: 'crypto-user', Password: USER_PASSWORD })).status).toBe(200);
    await t.close();
    closed = true;

    const secrets = [
      ...[PLAINTEXT, ADMIN_PASSWORD, USER_PASSWORD, WRONG_GUESS].flatMap(forms),
      dataKeyPlaintext.toString('base64'),
      dataKeyPlaintext.toString('hex'),
    ];
    const dataDir = t.dataDir ?? '';
    const files = readdirSync(dataDir).map((f) => ({ where: `data/${f}`, bytes: readFileSync(join(dataDir, f)) }));
    expect(files.map((f) => f.where)).toContain('data/kmsd.sqlite');
    const audit = readFileSync(auditFile, 'utf8');
    expect(audit).toContain('"eventName":"CreateUser"');
    for (const secret of secrets) {
      for (const f of files)
        expect({ where: f.where, found: f.bytes.includes(Buffer.from(secret)) }).toEqual({ where: f.where, found: false });
      expect({ where: 'audit log', found: audit.includes(secret) }).toEqual({ where: 'audit log', found: false });
      expect({ where: 'log', found: logged.join('\n').includes(secret) }).toEqual({ where: 'log', found: false });
      for (const r of responses) {
        if (r.operation === 'TrentService.Decrypt' || r.operation === 'TrentService.GenerateDataKey') continue;
        expect({ where: r.operation, found: r.text.includes(secret) }).toEqual({ where: r.operation, found: false });
      }
    }
  });
});
