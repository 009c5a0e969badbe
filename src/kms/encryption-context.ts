/**
 * The encryption context is bound to a ciphertext as AAD. It must match exactly on decrypt,
 * in any order, so it is encoded canonically: pairs sorted by the UTF-8 bytes of the key,
 * each key and value length-prefixed. (moto and local-kms concatenate without separators,
 * which makes {"ab":"c"} and {"a":"bc"} the same context; this encoding cannot collide.)
 */
export type EncryptionContext = Record<string, string>;

export function encodeEncryptionContext(context: EncryptionContext | undefined): Buffer {
  const entries = Object.entries(context ?? {}).map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')] as const);
  entries.sort((a, b) => Buffer.compare(a[0], b[0]));
  const parts: Buffer[] = [u32(entries.length)];
  for (const [k, v] of entries) parts.push(u32(k.length), k, u32(v.length), v);
  return Buffer.concat(parts);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
