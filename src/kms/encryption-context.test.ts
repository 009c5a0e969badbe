import { describe, expect, it } from 'vitest';
import { encodeEncryptionContext, LONE_SURROGATE_MESSAGE } from './encryption-context.js';

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

describe('unpaired surrogates', () => {
  it('are refused rather than encoded as U+FFFD, in keys and in values', () => {
    expect(() => encodeEncryptionContext({ a: '\ud800' })).toThrow(LONE_SURROGATE_MESSAGE);
    expect(() => encodeEncryptionContext({ '\udc00x': 'b' })).toThrow(LONE_SURROGATE_MESSAGE);
    expect(() => encodeEncryptionContext({ a: '\ud83d\ude00\ud83d' })).toThrow(LONE_SURROGATE_MESSAGE);
    expect(encodeEncryptionContext({ a: '\ud83d\ude00' }).equals(encodeEncryptionContext({ a: '\ufffd' }))).toBe(false);
  });
});
