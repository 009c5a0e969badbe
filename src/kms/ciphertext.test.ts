import { describe, expect, it } from 'vitest';
import { InvalidCiphertextException } from '../generated/kms.js';
import { HEADER_LENGTH, buildHeader, parseCiphertext } from './ciphertext.js';

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const MATERIAL = 'ab'.repeat(32);

describe('ciphertext blob header', () => {
  it('lays out magic, version, key id and material id in 70 bytes', () => {
    const header = buildHeader(KEY_ID, MATERIAL);
    expect(header.length).toBe(HEADER_LENGTH);
    expect(header[0]).toBe(0x6b);
    expect(header[1]).toBe(1);
    expect(header.toString('ascii', 2, 38)).toBe(KEY_ID);
    expect(header.subarray(38).toString('hex')).toBe(MATERIAL);
  });

  it('parses back what it built, with the body after the header', () => {
    const blob = Buffer.concat([buildHeader(KEY_ID, MATERIAL), Buffer.from('body')]);
    const { header, body } = parseCiphertext(blob);
    expect(header.keyId).toBe(KEY_ID);
    expect(header.materialId).toBe(MATERIAL);
    expect(header.bytes.equals(blob.subarray(0, HEADER_LENGTH))).toBe(true);
    expect(body.toString()).toBe('body');
  });

  it('accepts multi-Region key ids', () => {
    const mrk = `mrk-${'0f'.repeat(16)}`;
    expect(parseCiphertext(Buffer.concat([buildHeader(mrk, MATERIAL), Buffer.from('x')])).header.keyId).toBe(mrk);
  });

  it('rejects what it did not make with InvalidCiphertextException', () => {
    const good = Buffer.concat([buildHeader(KEY_ID, MATERIAL), Buffer.from('x')]);
    const bad: Buffer[] = [
      Buffer.alloc(0),
      good.subarray(0, HEADER_LENGTH), // header without body
      Buffer.concat([Buffer.from([0x6a]), good.subarray(1)]), // magic
      Buffer.concat([good.subarray(0, 1), Buffer.from([2]), good.subarray(2)]), // version
      Buffer.concat([good.subarray(0, 2), Buffer.from('1234ABCD'), good.subarray(10)]), // key id case
      Buffer.concat([good.subarray(0, 2), Buffer.alloc(36, 0), good.subarray(38)]),
    ];
    for (const blob of bad) {
      expect(() => parseCiphertext(blob)).toThrow(InvalidCiphertextException);
    }
    // As AWS: no message at all, whichever check failed.
    expect(() => parseCiphertext(Buffer.alloc(0))).toThrow(expect.objectContaining({ code: 'InvalidCiphertextException', message: '' }));
  });
});
