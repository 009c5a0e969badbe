import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsCli, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';

let t: TestKmsd;

beforeAll(async () => {
  t = await startKmsd();
});
afterAll(async () => t.close());

async function aws(args: string[]): Promise<Record<string, unknown>> {
  const res = await awsCli(t.url, args);
  if (res.code !== 0) throw new Error(`aws ${args.join(' ')} failed (${res.code}): ${res.stderr}`);
  return (res.json ?? {}) as Record<string, unknown>;
}

describe('the AWS CLI against kmsd', () => {
  it('create-key, encrypt, decrypt, generate-data-key, create-alias, use the alias, schedule-key-deletion', async () => {
    const created = (await aws(['kms', 'create-key', '--description', 'cli key'])).KeyMetadata as Record<string, string>;
    expect(created.KeyState).toBe('Enabled');
    expect(created.Description).toBe('cli key');
    const keyId = created.KeyId;
    const arn = created.Arn;

    const plaintext = Buffer.from('hello from the cli').toString('base64');
    const enc = await aws(['kms', 'encrypt', '--key-id', keyId, '--plaintext', plaintext, '--encryption-context', 'app=cli']);
    expect(enc.KeyId).toBe(arn);
    expect(enc.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');

    const dec = await aws(['kms', 'decrypt', '--ciphertext-blob', String(enc.CiphertextBlob), '--encryption-context', 'app=cli']);
    expect(dec.Plaintext).toBe(plaintext);
    expect(dec.KeyId).toBe(arn);

    const dk = await aws(['kms', 'generate-data-key', '--key-id', keyId, '--key-spec', 'AES_256']);
    expect(Buffer.from(String(dk.Plaintext), 'base64')).toHaveLength(32);
    const dkDec = await aws(['kms', 'decrypt', '--ciphertext-blob', String(dk.CiphertextBlob)]);
    expect(dkDec.Plaintext).toBe(dk.Plaintext);

    const alias = await awsCli(t.url, ['kms', 'create-alias', '--alias-name', 'alias/cli', '--target-key-id', keyId]);
    expect(alias.code).toBe(0);
    expect(alias.stdout.trim()).toBe('');
    const viaAlias = await aws(['kms', 'encrypt', '--key-id', 'alias/cli', '--plaintext', plaintext]);
    expect(viaAlias.KeyId).toBe(arn);
    const aliases = (await aws(['kms', 'list-aliases', '--key-id', keyId])).Aliases as Record<string, string>[];
    expect(aliases.map((a) => a.AliasName)).toEqual(['alias/cli']);

    const sched = await aws(['kms', 'schedule-key-deletion', '--key-id', keyId, '--pending-window-in-days', '7']);
    expect(sched.KeyId).toBe(arn);
    expect(sched.KeyState).toBe('PendingDeletion');
    expect(sched.PendingWindowInDays).toBe(7);

    const refused = await awsCli(t.url, ['kms', 'encrypt', '--key-id', 'alias/cli', '--plaintext', plaintext]);
    expect(refused.code).toBe(254);
    // The CLI inserts "(reached max retries: 0)" before the colon for this error class.
    expect(refused.stderr).toMatch(/An error occurred \(KMSInvalidStateException\) when calling the Encrypt operation[^:]*: (.*)\n/);
    expect(refused.stderr.trim().endsWith(`: ${arn} is pending deletion.`)).toBe(true);
  });
});
