/** `kmsd serve --store sqlite:<file>`, and the errors of a --store kmsd cannot use. */
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { runKmsd, serve, stopAllProcesses } from './helpers/kmsd-process.js';
import { DEV, REGION } from './helpers/kmsd.js';

const dirs: string[] = [];
afterAll(() => {
  stopAllProcesses();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kmsd-store-option-'));
  dirs.push(d);
  return d;
}

describe('kmsd serve --store', () => {
  it('keeps an SQLite database at sqlite:<file>, its root key beside it, across restarts', async () => {
    const dir = join(tempDir(), 'elsewhere');
    const file = join(dir, 'keys.db');
    const first = await serve(['--port', '0', '--store', `sqlite:${file}`]);
    expect(first.output()).toContain(`Data: sqlite:${file}`);
    const kms = new KMSClient({ endpoint: first.url, region: REGION, credentials: DEV, maxAttempts: 1 });
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const enc = await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('kept') }));
    kms.destroy();
    expect(await first.stop()).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'root-key')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, 'kmsd.sqlite'))).toBe(false);

    const again = await serve(['--port', '0'], { KMSD_STORE: `sqlite:${file}` });
    const kms2 = new KMSClient({ endpoint: again.url, region: REGION, credentials: DEV, maxAttempts: 1 });
    const dec = await kms2.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    kms2.destroy();
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe('kept');
    expect(await again.stop()).toBe(0);
  });

  it('refuses a store it does not know, without printing its password', async () => {
    const r = await runKmsd(['serve', '--port', '0', '--store', 'mysql://kmsd:hunter2@db/kmsd']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('kmsd: unknown store mysql://kmsd:***@db/kmsd: use postgres://… or sqlite:<path>');
    expect(r.stderr + r.stdout).not.toContain('hunter2');
  });

  it('fails to start, naming the store without its password, when PostgreSQL cannot be reached', async () => {
    const dir = tempDir(); // no server listens there
    const url = `postgres://kmsd:hunter2@localhost/kmsd?host=${dir}`;
    const r = await runKmsd(['serve', '--port', '0', '--store', url], { KMSD_ROOT_KEY: randomBytes(32).toString('base64') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `kmsd: cannot open the store postgres://kmsd:***@localhost/kmsd?host=${dir}: connect ENOENT ${dir}/.s.PGSQL.5432`,
    );
    expect(r.stderr + r.stdout).not.toContain('hunter2');
  });

  it('refuses a root key file it cannot read', async () => {
    const missing = join(tempDir(), 'no-such-key');
    const r = await runKmsd(['serve', '--port', '0', '--in-memory', '--root-key-file', missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`kmsd: cannot read the root key file ${missing}: ENOENT`);
  });
});
