/**
 * The encryption context is bound to a ciphertext as AAD. It must match exactly on decrypt,
 * in any order, so it is encoded canonically: pairs sorted by the UTF-8 bytes of the key,
 * each key and value length-prefixed. (moto and local-kms concatenate without separators,
 * which makes {"ab":"c"} and {"a":"bc"} the same context; this encoding cannot collide.)
 */
import { ValidationException } from '../core/service-error.js';

export type EncryptionContext = Record<string, string>;

/** A UTF-16 surrogate with no partner (JSON lets a request spell one as `\ud800`). */
const LONE_SURROGATE = /\p{Cs}/u;

export const LONE_SURROGATE_MESSAGE =
  'Encryption context keys and values must be well-formed Unicode: an unpaired surrogate (U+D800 to U+DFFF) is not allowed.';

/**
 * UTF-8 has no bytes for an unpaired surrogate: Buffer.from would write U+FFFD in its place,
 * so {"a":"\ud800"} and {"a":"\ufffd"} would bind the same AAD and each decrypt the other's
 * ciphertexts. What AWS does with such a context is not documented, so kmsd refuses it
 * (docs/compatibility.md) rather than bind something other than what the caller sent.
 */
export function encodeEncryptionContext(context: EncryptionContext | undefined): Buffer {
  // Most requests have none: its encoding is a zero count.
  if (context === undefined) return u32(0);
  const pairs = Object.entries(context);
  for (const [k, v] of pairs) {
    if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(v)) throw new ValidationException(LONE_SURROGATE_MESSAGE);
  }
  const entries = pairs.map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')] as const);
  entries.sort((a, b) => Buffer.compare(a[0], b[0]));
  const parts: Buffer[] = [u32(entries.length)];
  for (const [k, v] of entries) parts.push(u32(k.length), k, u32(v.length), v);
  return Buffer.concat(parts);
}

function u32(n: number): Buffer {
  // Every byte is written: Node's pool serves it without zeroing a buffer of its own.
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n);
  return b;
}
