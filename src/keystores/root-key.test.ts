import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RootKey } from './root-key.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kmsd-rootkey-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('RootKey', () => {
  it('unwraps what it wrapped, for the same AAD only', () => {
    const key = RootKey.random();
    const secret = randomBytes(32);
    const wrapped = key.wrap(secret, 'arn:aws:kms:us-east-1:111122223333:key/k#m1');
    expect(key.unwrap(wrapped, 'arn:aws:kms:us-east-1:111122223333:key/k#m1').equals(secret)).toBe(true);
    expect(() => key.unwrap(wrapped, 'arn:aws:kms:us-east-1:111122223333:key/k#m2')).toThrow();
    expect(() => RootKey.random().unwrap(wrapped, 'arn:aws:kms:us-east-1:111122223333:key/k#m1')).toThrow();
  });

  it('never stores the plaintext, and wraps the same secret differently each time', () => {
    const key = RootKey.random();
    const secret = Buffer.from('0123456789abcdef0123456789abcdef');
    const a = key.wrap(secret, 'x');
    const b = key.wrap(secret, 'x');
    expect(a).not.toBe(b);
    const raw = Buffer.from(a, 'base64');
    expect(raw[0]).toBe(1);
    expect(raw.length).toBe(1 + 12 + 16 + 32);
    expect(raw.includes(secret)).toBe(false);
  });

  it('detects tampering and unknown formats', () => {
    const key = RootKey.random();
    const raw = Buffer.from(key.wrap(Buffer.from('secret'), 'x'), 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => key.unwrap(raw.toString('base64'), 'x')).toThrow();
    raw[0] = 2;
    expect(() => key.unwrap(raw.toString('base64'), 'x')).toThrow('unsupported wrapped key format');
    expect(() => key.unwrap('AAAA', 'x')).toThrow('unsupported wrapped key format');
  });

  it('takes exactly 32 bytes of base64 (KMSD_ROOT_KEY)', () => {
    const b64 = randomBytes(32).toString('base64');
    const wrapped = RootKey.fromBase64(b64).wrap(Buffer.from('s'), 'a');
    expect(RootKey.fromBase64(b64).unwrap(wrapped, 'a').toString()).toBe('s');
    expect(() => RootKey.fromBase64(randomBytes(16).toString('base64'))).toThrow(
      'KMSD_ROOT_KEY must be the base64 encoding of exactly 32 bytes',
    );
  });

  it('creates <data-dir>/root-key with mode 0600 and reuses it', () => {
    const dir = tempDir();
    const first = RootKey.fromDataDir(dir);
    const file = join(dir, 'root-key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').length).toBe(32);
    const wrapped = first.wrap(Buffer.from('kept'), 'a');
    expect(RootKey.fromDataDir(dir).unwrap(wrapped, 'a').toString()).toBe('kept');
  });

  it('tightens a root-key file left readable by others', () => {
    const dir = tempDir();
    const file = join(dir, 'root-key');
    writeFileSync(file, randomBytes(32).toString('base64'));
    chmodSync(file, 0o644);
    RootKey.fromDataDir(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('writes the new root-key file complete, through a temporary file it removes', () => {
    const dir = tempDir();
    RootKey.fromDataDir(dir);
    // Only the finished file: the temporary one was linked into place and removed.
    expect(readdirSync(dir)).toEqual(['root-key']);
    expect(readFileSync(join(dir, 'root-key'), 'utf8')).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
  });

  it('keeps an existing root-key file rather than replacing it', () => {
    const dir = tempDir();
    const b64 = randomBytes(32).toString('base64');
    writeFileSync(join(dir, 'root-key'), b64 + '\n', { mode: 0o600 });
    const wrapped = RootKey.fromBase64(b64).wrap(Buffer.from('kept'), 'a');
    expect(RootKey.fromDataDir(dir).unwrap(wrapped, 'a').toString()).toBe('kept');
    expect(readFileSync(join(dir, 'root-key'), 'utf8')).toBe(b64 + '\n');
  });

  it('refuses a damaged root-key file (empty or cut short) instead of starting with it', () => {
    const dir = tempDir();
    const file = join(dir, 'root-key');
    writeFileSync(file, '', { mode: 0o600 });
    expect(() => RootKey.fromDataDir(dir)).toThrow(`${file} does not hold the base64 encoding of 32 bytes; it is damaged`);
    writeFileSync(file, randomBytes(32).toString('base64').slice(0, 20));
    expect(() => RootKey.fromDataDir(dir)).toThrow(`${file} does not hold the base64 encoding of 32 bytes; it is damaged`);
  });
});
