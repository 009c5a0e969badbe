import { describe, expect, it } from 'vitest';
import type { ServiceModel } from '../core/shape.js';
import { SerializationException, ValidationException } from '../core/service-error.js';
import { ModelValidator } from './validate.js';
import type { Json } from './validate.js';

/** A small model exercising every constraint kind Coral reports. */
const MODEL: ServiceModel = {
  targetPrefix: 'Test',
  signingName: 'test',
  errorMessageMember: 'message',
  errorStatus: {},
  operations: { Op: { input: 'OpRequest', output: null, errors: [] }, NoInput: { input: null, output: null, errors: [] } },
  shapes: {
    OpRequest: {
      type: 'structure',
      required: ['Name'],
      members: {
        Name: 'NameType',
        Kind: 'KindType',
        Count: 'CountType',
        Secret: 'SecretType',
        Data: 'DataType',
        Items: 'ItemList',
        Labels: 'LabelMap',
        Inner: 'InnerType',
        When: 'WhenType',
        Inners: 'InnerList',
      },
    },
    NameType: { type: 'string', min: 1, max: 5, pattern: '[a-z]*' },
    KindType: { type: 'string', enum: ['A', 'B'] },
    CountType: { type: 'integer', min: 1, max: 10 },
    SecretType: { type: 'string', max: 3, sensitive: true },
    DataType: { type: 'blob', min: 1, max: 4 },
    ItemList: { type: 'list', member: 'NameType', max: 2 },
    LabelMap: { type: 'map', key: 'FreeString', value: 'NameType' },
    FreeString: { type: 'string' },
    InnerType: { type: 'structure', required: ['X'], members: { X: 'NameType' } },
    WhenType: { type: 'timestamp' },
    InnerList: { type: 'list', member: 'InnerType', max: 1 },
  },
};

const validator = new ModelValidator(MODEL);

function decode(body: Json): Record<string, unknown> {
  return validator.decodeInput('Op', body);
}

function failure(body: Json): { name: string; message: string } {
  try {
    decode(body);
  } catch (err) {
    if (err instanceof ValidationException || err instanceof SerializationException) return { name: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a failure');
}

describe('ModelValidator: constraints (ValidationException)', () => {
  // Found by the fuzz (test/fuzz): printing such a list overflowed the stack, a 500.
  it('prints a too-long list whose items carry unknown members nested thousands deep', () => {
    let deep: Json = 'x';
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    const { name, message } = failure({ Name: 'a', Inners: [{ X: 'a', Extra: deep }, { X: 'b' }] });
    expect(name).toBe('ValidationException');
    expect(message).toBe(
      "1 validation error detected: Value '[{X=a, Extra={a={a={a={a={a={a=...}}}}}}}, {X=b}]' at 'inners' failed to satisfy constraint: Member must have length less than or equal to 1",
    );
  });

  it('reports a missing required member as null', () => {
    expect(failure({})).toEqual({
      name: 'ValidationException',
      message: "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
    });
  });

  it('reports length, pattern, enum and range in Coral words', () => {
    expect(failure({ Name: 'abcdef' }).message).toBe(
      "1 validation error detected: Value 'abcdef' at 'name' failed to satisfy constraint: Member must have length less than or equal to 5",
    );
    expect(failure({ Name: '' }).message).toBe(
      "1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    expect(failure({ Name: 'AB' }).message).toBe(
      "1 validation error detected: Value 'AB' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z]*",
    );
    expect(failure({ Name: 'a', Kind: 'C' }).message).toBe(
      "1 validation error detected: Value 'C' at 'kind' failed to satisfy constraint: Member must satisfy enum value set: [A, B]",
    );
    expect(failure({ Name: 'a', Count: 0 }).message).toBe(
      "1 validation error detected: Value '0' at 'count' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    expect(failure({ Name: 'a', Count: 11 }).message).toBe(
      "1 validation error detected: Value '11' at 'count' failed to satisfy constraint: Member must have value less than or equal to 10",
    );
  });

  it('anchors model patterns: a partial match is not a match', () => {
    expect(failure({ Name: 'ab1' }).message).toContain(
      "Value 'ab1' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern",
    );
  });

  it('collects every violation, in model member order, into one message', () => {
    expect(failure({ Count: 99, Kind: 'Z' }).message).toBe(
      '3 validation errors detected: ' +
        "Value null at 'name' failed to satisfy constraint: Member must not be null; " +
        "Value 'Z' at 'kind' failed to satisfy constraint: Member must satisfy enum value set: [A, B]; " +
        "Value '99' at 'count' failed to satisfy constraint: Member must have value less than or equal to 10",
    );
  });

  it('never echoes a sensitive value', () => {
    const { message } = failure({ Name: 'a', Secret: 'hunter2' });
    expect(message).toBe(
      "1 validation error detected: Value at 'secret' failed to satisfy constraint: Member must have length less than or equal to 3",
    );
    expect(message).not.toContain('hunter2');
  });

  it('names nested members by their Coral paths', () => {
    expect(failure({ Name: 'a', Items: ['ok', 'BAD'] }).message).toBe(
      "1 validation error detected: Value 'BAD' at 'items.2.member' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z]*",
    );
    expect(failure({ Name: 'a', Items: ['a', 'b', 'c'] }).message).toBe(
      "1 validation error detected: Value '[a, b, c]' at 'items' failed to satisfy constraint: Member must have length less than or equal to 2",
    );
    expect(failure({ Name: 'a', Inner: {} }).message).toBe(
      "1 validation error detected: Value null at 'inner.x' failed to satisfy constraint: Member must not be null",
    );
    expect(failure({ Name: 'a', Labels: { k: 'V' } }).message).toBe(
      "1 validation error detected: Value 'V' at 'labels.k.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z]*",
    );
  });

  it('prints a blob that breaks a length limit as Java prints a ByteBuffer', () => {
    expect(failure({ Name: 'a', Data: Buffer.alloc(5).toString('base64') }).message).toBe(
      "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=5 cap=5]' at 'data' failed to satisfy constraint: Member must have length less than or equal to 4",
    );
  });
});

describe('ModelValidator: types (SerializationException) and decoding', () => {
  it('stops at the first value of the wrong JSON type', () => {
    expect(failure({ Name: 5 })).toEqual({ name: 'SerializationException', message: 'NUMBER_VALUE can not be converted to a String' });
    expect(failure({ Name: 'a', Count: 'x' }).message).toBe('STRING_VALUE can not be converted to an Integer');
    expect(failure({ Name: 'a', Count: 2.5 }).message).toBe('NUMBER_VALUE 2.5 can not be converted to an Integer');
    expect(failure({ Name: 'a', Items: 'x' }).message).toBe('STRING_VALUE can not be converted to a list');
    expect(failure({ Name: 'a', Inner: [] }).message).toBe('Start of list found where not expected');
    expect(failure({ Name: 'a', Data: '***' }).message).toBe("Value for 'Data' is not a valid base64-encoded blob.");
    expect(failure({ Name: 'a', When: 1e300 }).message).toBe('NUMBER_VALUE 1e+300 can not be converted to a Date');
    expect(() => validator.decodeInput('Op', [])).toThrow('Start of structure or map expected.');
  });

  it('decodes blobs to Buffers and timestamps (epoch seconds) to Dates, dropping nulls and unknown members', () => {
    const out = decode({ Name: 'a', Data: 'AQID', When: 1.5, Kind: null, Unknown: 1, Items: ['x', null] });
    expect(out).toEqual({ Name: 'a', Data: Buffer.from([1, 2, 3]), When: new Date(1500), Items: ['x'] });
  });

  it('reads base64 blobs as Coral does: padded standard alphabet, whitespace ignored, trailing bits not checked', () => {
    expect(decode({ Name: 'a', Data: 'AQI=' }).Data).toEqual(Buffer.from([1, 2]));
    expect(decode({ Name: 'a', Data: 'AQ\nI D' }).Data).toEqual(Buffer.from([1, 2, 3]));
    // 'AR==' is not what an encoder writes (non-zero unused bits), yet it is base64 for [1].
    expect(decode({ Name: 'a', Data: 'AR==' }).Data).toEqual(Buffer.from([1]));
    for (const bad of ['AQI', 'AQ-_', 'AQ=I', '====', 'A\u00e9==']) {
      expect(failure({ Name: 'a', Data: bad }).message).toBe("Value for 'Data' is not a valid base64-encoded blob.");
    }
  });

  it('keeps a map key named __proto__ as an ordinary key', () => {
    const out = decode(JSON.parse('{"Name":"a","Labels":{"__proto__":"xy"}}') as Json);
    expect(Object.keys(out.Labels as object)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(out.Labels)).toBe(Object.prototype);
  });

  it('accepts any object for an operation without input', () => {
    expect(validator.decodeInput('NoInput', { anything: 1 })).toEqual({});
  });
});
