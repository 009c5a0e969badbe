import { describe, expect, it } from 'vitest';
import { toWire } from './awsjson.js';

describe('toWire', () => {
  it('writes blobs as base64, dates as epoch seconds and drops unset members, at any depth', () => {
    const wire = toWire({
      CiphertextBlob: Buffer.from('abc'),
      CreationDate: new Date(1_500_000_000_500),
      Missing: undefined,
      Null: null,
      Nested: { List: [Buffer.from([0xff]), { Name: 'x', Gone: undefined }] },
    });
    expect(JSON.stringify(wire)).toBe('{"CiphertextBlob":"YWJj","CreationDate":1500000000.5,"Nested":{"List":["/w==",{"Name":"x"}]}}');
  });

  it('keeps map keys named __proto__ or constructor as plain keys', () => {
    const context = JSON.parse('{"__proto__":"a","constructor":"b","k":"c"}') as Record<string, string>;
    const wire = toWire({ EncryptionContext: context }) as { EncryptionContext: object };
    expect(Object.getPrototypeOf(wire.EncryptionContext)).toBe(Object.prototype);
    expect(JSON.stringify(wire)).toBe('{"EncryptionContext":{"__proto__":"a","constructor":"b","k":"c"}}');
  });
});
