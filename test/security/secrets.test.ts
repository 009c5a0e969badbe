/**
 * Issue 14: secrets in the process. KMSD_ROOT_KEY is read once and removed from the
 * environment, so a process kmsd starts later cannot inherit it; the key still works.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CreateKeyCommand, DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { removeDir, startKmsd } from '../helpers/kmsd.js';
import type { TestKmsd } from '../helpers/kmsd.js';

let t: TestKmsd | undefined;
afterEach(async () => {
  await t?.close();
  removeDir(t?.dataDir);
  delete process.env.KMSD_ROOT_KEY;
});

describe('KMSD_ROOT_KEY', () => {
  it('is taken out of the environment at start, and children see nothing of it', async () => {
    const rootKey = randomBytes(32).toString('base64');
    process.env.KMSD_ROOT_KEY = rootKey;
    t = await startKmsd({ persistent: true });
    expect(process.env.KMSD_ROOT_KEY).toBeUndefined();
    const child = execFileSync('/usr/bin/env', [], { encoding: 'utf8' });
    expect(child).not.toContain('KMSD_ROOT_KEY');
    expect(child).not.toContain(rootKey);

    // The key read from the environment is the one in use: a restart with it opens the data.
    const kms = t.kms();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('kept') }));
    const dataDir = t.dataDir;
    await t.close();
    t = await startKmsd({ persistent: true, dataDir, rootKey });
    const { Plaintext } = await t.kms().send(new DecryptCommand({ CiphertextBlob }));
    expect(Buffer.from(Plaintext ?? []).toString()).toBe('kept');
  });
});
