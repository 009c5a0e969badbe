/**
 * Random bytes for values that are public once used: the nonces and IVs written into every
 * ciphertext. Each crypto.randomBytes() call costs a fixed few microseconds (a crypto job and
 * OpenSSL's fork check), whatever its size up to kilobytes, which was a tenth of Encrypt's CPU
 * under load; so they are cut from one 4 KiB draw, as Node's own randomUUID() pools its
 * entropy. Every byte is handed out once (the pool is replaced, never refilled in place).
 * Not for secrets: secretRandomBytes() below draws those from a pool of their own.
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

/**
 * Random bytes for a secret handed to the caller at once: GenerateDataKey's data key. The
 * same fixed cost per randomBytes() call was 7% of GenerateDataKey's CPU under load (about
 * 15 µs per call in a profile; OpenSSL 3 looks its generator up on every call), so these come
 * from a 4 KiB draw of their own too. Pre-drawn bytes expose nothing new: OpenSSL's generator
 * state, in the same process memory, determines its future output anyway. Still, the pool is
 * kept apart from the public one and never handed out: each secret is copied into a buffer
 * of its own (sharing memory with nothing), and its bytes in the pool are zeroed at once.
 * Not for long-lived key material, which keeps its own randomBytes() call.
 */
let secretPool = Buffer.alloc(0);
let secretOffset = 0;

export function secretRandomBytes(size: number): Buffer {
  if (size > POOL_BYTES) return randomBytes(size);
  if (secretOffset + size > secretPool.length) {
    secretPool.fill(0);
    secretPool = randomBytes(POOL_BYTES);
    secretOffset = 0;
  }
  const secret = Buffer.allocUnsafeSlow(size);
  secretPool.copy(secret, 0, secretOffset, secretOffset + size);
  secretPool.fill(0, secretOffset, secretOffset + size);
  secretOffset += size;
  return secret;
}
