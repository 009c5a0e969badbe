import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDecipheriv, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../store/sqlite-store.js';
import { LocalKeyBackend } from './local-key-backend.js';
import { CiphertextAuthenticationError } from './errors.js';
import type { BackendKeyRef } from './key-backend.js';
import { RootKey } from './root-key.js';

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const MATERIAL = 'a'.repeat(64);
const ref = (account: string, region: string): BackendKeyRef => ({
  scope: { account, region },
  keyId: KEY_ID,
  arn: `arn:aws:kms:${region}:${account}:key/${KEY_ID}`,
  materialId: MATERIAL,
});

let store: SqliteStore;
let backend: LocalKeyBackend;
beforeEach(() => {
  store = new SqliteStore(':memory:');
  backend = new LocalKeyBackend(store, RootKey.random());
});
afterEach(async () => store.close());

describe('the material cache', () => {
  it('is keyed by account, Region and key: the same key id elsewhere never gets a cached entry', async () => {
    const mine = ref('111122223333', 'us-east-1');
    await backend.createMaterial(mine);
    const sealed = await backend.seal(mine, Buffer.from('secret'), Buffer.alloc(0));
    // Warm the cache, then ask for the same key id and material version in another account and Region.
    expect((await backend.open(mine, sealed, Buffer.alloc(0))).toString()).toBe('secret');
    for (const other of [ref('444455556666', 'us-east-1'), ref('111122223333', 'eu-west-1')]) {
      await expect(backend.open(other, sealed, Buffer.alloc(0))).rejects.toBeInstanceOf(CiphertextAuthenticationError);
      await expect(backend.rawMaterial(other)).rejects.toBeInstanceOf(CiphertextAuthenticationError);
    }
  });

  it('hands out copies of the material, so a caller zeroing its copy leaves the key usable', async () => {
    const mine = ref('111122223333', 'us-east-1');
    await backend.createMaterial(mine);
    const first = await backend.rawMaterial(mine);
    const kept = Buffer.from(first);
    first.fill(0);
    expect(await backend.rawMaterial(mine)).toEqual(kept);
    expect(kept.equals(Buffer.alloc(32))).toBe(false);
  });

  it('forgets material that another process destroyed in the same SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmsd-material-'));
    const rootKey = RootKey.random();
    const [a, b] = [new SqliteStore(join(dir, 'kmsd.sqlite')), new SqliteStore(join(dir, 'kmsd.sqlite'))];
    try {
      const [onA, onB] = [new LocalKeyBackend(a, rootKey), new LocalKeyBackend(b, rootKey)];
      const mine = ref('111122223333', 'us-east-1');
      await onA.createMaterial(mine);
      const sealed = await onA.seal(mine, Buffer.from('secret'), Buffer.alloc(0));
      expect((await onB.open(mine, sealed, Buffer.alloc(0))).toString()).toBe('secret'); // cached on B
      await onA.destroyMaterial(mine);
      // B's next request checks the feed (the key cache does it before every key read).
      expect(b.changes().sync()).toBe(true);
      await expect(onB.open(mine, sealed, Buffer.alloc(0))).rejects.toBeInstanceOf(CiphertextAuthenticationError);
    } finally {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the sealed body', () => {
  it('is nonce(16) ‖ iv(12) ‖ AES-256-GCM ciphertext ‖ tag(16) under the SP 800-108 key of the nonce', async () => {
    // Computed here from the documented layout, so stored ciphertexts keep opening whatever
    // the backend's code looks like.
    const mine = ref('111122223333', 'us-east-1');
    await backend.createMaterial(mine);
    const aad = Buffer.from('header and context');
    const body = await backend.seal(mine, Buffer.from('plaintext'), aad);
    const nonce = body.subarray(0, 16);
    const key = createHmac('sha256', await backend.rawMaterial(mine))
      .update(Buffer.from([0, 0, 0, 1]))
      .update('kmsd symmetric encryption')
      .update(Buffer.from([0]))
      .update(nonce)
      .update(Buffer.from([0, 0, 1, 0]))
      .digest();
    const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(16, 28)).setAAD(aad);
    decipher.setAuthTag(body.subarray(body.length - 16));
    expect(Buffer.concat([decipher.update(body.subarray(28, body.length - 16)), decipher.final()]).toString()).toBe('plaintext');
  });

  it('draws a fresh nonce and IV for every seal', async () => {
    const mine = ref('111122223333', 'us-east-1');
    await backend.createMaterial(mine);
    const heads = new Set<string>();
    for (let i = 0; i < 200; i++) heads.add((await backend.seal(mine, Buffer.from('x'), Buffer.alloc(0))).subarray(0, 28).toString('hex'));
    expect(heads.size).toBe(200);
  });
});
