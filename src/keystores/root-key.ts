/**
 * The service root key wraps every piece of key material kmsd stores (AES-256-GCM, with
 * an AAD naming what is wrapped, e.g. the key ARN and material version), so the database
 * never holds key material in plaintext.
 *
 * Source, in order: KMSD_ROOT_KEY (base64 of 32 bytes); else `<data-dir>/root-key`,
 * created with mode 0600 on first start. With --in-memory and no KMSD_ROOT_KEY, a fresh
 * random key lives only in the process. KMSD_ROOT_KEY is read once and removed from the
 * environment (takeRootKeyFromEnv), so processes started later never inherit it.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GCM_IV_LENGTH, GCM_TAG_LENGTH, gcmOpen, gcmSeal } from '../core/aes-gcm.js';

const WRAP_VERSION = 1;

/** KMSD_ROOT_KEY, removed from process.env as it is read (issue 14). */
export function takeRootKeyFromEnv(): string | undefined {
  const value = process.env.KMSD_ROOT_KEY;
  delete process.env.KMSD_ROOT_KEY;
  return value;
}

export class RootKey {
  private constructor(private readonly key: Buffer) {}

  /** Takes ownership of `key` (32 bytes): dispose() zeroes it. */
  static fromBytes(key: Buffer): RootKey {
    if (key.length !== 32) throw new Error('a wrapping key must be exactly 32 bytes');
    return new RootKey(key);
  }

  /** Overwrites the key bytes; for short-lived keys (a cluster secret in use). */
  dispose(): void {
    this.key.fill(0);
  }

  static fromBase64(value: string): RootKey {
    const key = Buffer.from(value, 'base64');
    if (key.length !== 32) throw new Error('KMSD_ROOT_KEY must be the base64 encoding of exactly 32 bytes');
    return new RootKey(key);
  }

  static random(): RootKey {
    return new RootKey(randomBytes(32));
  }

  /** Loads `<dataDir>/root-key`, creating it (0600) on first start. */
  static fromDataDir(dataDir: string): RootKey {
    const file = join(dataDir, 'root-key');
    if (!existsSync(file)) createKeyFile(file);
    const mode = statSync(file).mode & 0o777;
    if (mode !== 0o600) chmodSync(file, 0o600);
    const text = readFileSync(file);
    try {
      const key = Buffer.from(text.toString('utf8').trim(), 'base64');
      if (key.length !== 32) throw new Error(`${file} does not hold the base64 encoding of 32 bytes; it is damaged`);
      return new RootKey(key);
    } finally {
      text.fill(0);
    }
  }

  /**
   * A 32-byte key for one purpose, derived with HKDF-SHA256 (RFC 5869) under its own label,
   * so a key used elsewhere (e.g. to seal STS session tokens) never equals the wrapping key.
   */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `kmsd:${purpose}`, 32));
  }

  /** version(1) ‖ iv(12) ‖ tag(16) ‖ ciphertext, base64. */
  wrap(plaintext: Buffer, aad: string): string {
    const sealed = gcmSeal(this.key, plaintext, Buffer.from(aad, 'utf8'), 'iv-tag-ciphertext');
    return Buffer.concat([Buffer.from([WRAP_VERSION]), sealed]).toString('base64');
  }

  /** Throws if the wrapped value was altered, or wrapped for another AAD or root key. */
  unwrap(wrapped: string, aad: string): Buffer {
    const buf = Buffer.from(wrapped, 'base64');
    if (buf.length < 1 + GCM_IV_LENGTH + GCM_TAG_LENGTH || buf[0] !== WRAP_VERSION) throw new Error('unsupported wrapped key format');
    const plaintext = gcmOpen(this.key, buf.subarray(1), Buffer.from(aad, 'utf8'), 'iv-tag-ciphertext');
    if (!plaintext) throw new Error('the wrapped value failed authentication (altered, or wrapped for another AAD or root key)');
    return plaintext;
  }
}

/**
 * Writes a new random key to `file` so that a crash or power loss at any moment leaves
 * either no file or the complete one, never an empty or partial key (which would make every
 * stored key undecryptable): the key goes to a temporary file that is fsynced, then linked
 * into place, then the directory is fsynced so the new name itself is on disk. A link, unlike
 * a rename, never replaces an existing file: when two processes start on one data directory
 * at once, the first key wins and the other process reads it.
 */
function createKeyFile(file: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, randomBytes(32).toString('base64') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(temp);
  }
  fsyncDirectory(dirname(file));
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
