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
  const keys = Object.keys(context);
  let size = 4;
  for (const k of keys) {
    const v = context[k];
    if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(v)) throw new ValidationException(LONE_SURROGATE_MESSAGE);
    size += 8 + Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v, 'utf8');
  }
  keys.sort(compareAsUtf8);
  // One buffer written in place: a Buffer per key, value and length prefix, then their
  // concatenation, cost several times more, on every Encrypt and Decrypt with a context.
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt32BE(keys.length, 0);
  for (const k of keys) {
    at = writeString(out, at, k);
    at = writeString(out, at, context[k]);
  }
  return out;
}

/** A length-prefixed UTF-8 string at `at`; returns the offset after it. */
function writeString(out: Buffer, at: number, text: string): number {
  const length = out.write(text, at + 4, 'utf8');
  out.writeUInt32BE(length, at);
  return at + 4 + length;
}

/**
 * The order of the strings' UTF-8 bytes, which for well-formed strings (checked before) is their
 * code point order. UTF-16 code units differ from it only where a surrogate (half of a code
 * point above U+FFFF) meets a code unit from U+E000 to U+FFFF: the surrogate sorts after it.
 */
function compareAsUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

function u32(n: number): Buffer {
  // Every byte is written: Node's pool serves it without zeroing a buffer of its own.
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n);
  return b;
}
