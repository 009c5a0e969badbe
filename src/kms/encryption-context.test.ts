import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeEncryptionContext, LONE_SURROGATE_MESSAGE } from './encryption-context.js';

/** The encoding spelled out plainly, one Buffer a part: what every ciphertext's AAD has been. */
function referenceEncoding(context: Record<string, string>): Buffer {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const entries = Object.entries(context).map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')] as const);
  entries.sort((a, b) => Buffer.compare(a[0], b[0]));
  return Buffer.concat([u32(entries.length), ...entries.flatMap(([k, v]) => [u32(k.length), k, u32(v.length), v])]);
}

describe('canonical encryption context encoding', () => {
  it('does not depend on the order the pairs were given in', () => {
    expect(encodeEncryptionContext({ a: '1', b: '2', c: '3' }).equals(encodeEncryptionContext({ c: '3', a: '1', b: '2' }))).toBe(true);
  });

  it('treats no context and an empty one alike', () => {
    expect(encodeEncryptionContext(undefined).equals(encodeEncryptionContext({}))).toBe(true);
    expect(encodeEncryptionContext(undefined).toString('hex')).toBe('00000000');
  });

  it('length-prefixes keys and values, so shifted boundaries never collide', () => {
    const a = encodeEncryptionContext({ ab: 'c' });
    const b = encodeEncryptionContext({ a: 'bc' });
    expect(a.equals(b)).toBe(false);
    expect(a.toString('hex')).toBe('00000001' + '00000002' + '6162' + '00000001' + '63');
    expect(encodeEncryptionContext({ a: '' }).equals(encodeEncryptionContext({}))).toBe(false);
  });

  it('is case- and value-sensitive', () => {
    expect(encodeEncryptionContext({ a: 'b' }).equals(encodeEncryptionContext({ a: 'B' }))).toBe(false);
    expect(encodeEncryptionContext({ a: 'b' }).equals(encodeEncryptionContext({ A: 'b' }))).toBe(false);
  });

  it('sorts by the UTF-8 bytes of the keys, not by UTF-16 code units', () => {
    // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16.
    const encoded = encodeEncryptionContext({ '\u{1F600}': 'x', '\uFF21': 'y' });
    const firstKeyLength = encoded.readUInt32BE(4);
    expect(encoded.subarray(8, 8 + firstKeyLength).toString('utf8')).toBe('\uFF21');
  });
});

describe('the encoding, byte for byte', () => {
  it('matches the plain one-Buffer-a-part encoding for any well-formed context', () => {
    // Code points from every UTF-8 length, surrogate pairs against U+E000..U+FFFF included.
    const char = fc.constantFrom(
      'a',
      'B',
      '~',
      'é',
      '\u0800',
      '\uD7FF',
      '\uE000',
      '\uFF21',
      '\uFFFF',
      '\u{10000}',
      '\u{1F600}',
      '\u{10FFFF}',
    );
    const text = fc.array(char, { maxLength: 6 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(fc.dictionary(text, text, { maxKeys: 8 }), (context) => {
        expect(encodeEncryptionContext(context).toString('hex')).toBe(referenceEncoding(context).toString('hex'));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a __proto__ key like any other', () => {
    const context = JSON.parse('{"__proto__": "x", "a": "b"}') as Record<string, string>;
    expect(encodeEncryptionContext(context).toString('hex')).toBe(referenceEncoding(context).toString('hex'));
    expect(encodeEncryptionContext(context).equals(encodeEncryptionContext({ a: 'b' }))).toBe(false);
  });
});

describe('unpaired surrogates', () => {
  it('are refused rather than encoded as U+FFFD, in keys and in values', () => {
    expect(() => encodeEncryptionContext({ a: '\ud800' })).toThrow(LONE_SURROGATE_MESSAGE);
    expect(() => encodeEncryptionContext({ '\udc00x': 'b' })).toThrow(LONE_SURROGATE_MESSAGE);
    expect(() => encodeEncryptionContext({ a: '\ud83d\ude00\ud83d' })).toThrow(LONE_SURROGATE_MESSAGE);
    expect(encodeEncryptionContext({ a: '\ud83d\ude00' }).equals(encodeEncryptionContext({ a: '\ufffd' }))).toBe(false);
  });
});
