/**
 * Random bytes for values that are public once used: the nonces and IVs written into every
 * ciphertext. Each crypto.randomBytes() call costs a fixed few microseconds (a crypto job and
 * OpenSSL's fork check), whatever its size up to kilobytes, which was a tenth of Encrypt's CPU
 * under load; so they are cut from one 4 KiB draw, as Node's own randomUUID() pools its
 * entropy. Every byte is handed out once (the pool is replaced, never refilled in place).
 * Not for secrets (key material, data keys, tokens): those keep their own randomBytes() call,
 * so no secret waits in a shared buffer before it is used.
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/** `size` fresh random bytes, never handed out before. The result may share memory with others: do not write to it. */
export function publicRandomBytes(size: number): Buffer {
  if (size > POOL_BYTES) return randomBytes(size);
  if (offset + size > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + size);
  offset += size;
  return bytes;
}
