/**
 * fast-check arbitraries for request bodies, derived from a service model's shapes
 * (src/generated/*.ts): for every member a mix of valid values, boundary values (lengths and
 * ranges at and past the model's limits, unicode with lone surrogates, huge arrays) and
 * invalid ones (wrong JSON types, bad enums, bad base64, deep nesting), with required
 * members sometimes missing and unknown members sometimes added. Strings that name a
 * resource (key ids, alias names, grant ids, cluster ids, ciphertexts...) are often drawn
 * from a pool of resources that exist, so the fuzz also gets past the "not found" checks.
 */
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';
import type { ServiceModel, ShapeDef } from '../../src/core/shape.js';

/** Existing resources, by kind; the member name picks the kind (poolKindOf). */
export type ResourcePool = Partial<Record<PoolKind, string[]>>;
export type PoolKind =
  | 'keyId'
  | 'aliasName'
  | 'grantId'
  | 'grantToken'
  | 'customKeyStoreId'
  | 'clusterId'
  | 'hsmId'
  | 'backupId'
  | 'ciphertext'
  | 'policy'
  | 'principal';

/** Which pool a member draws from, by its name (the models name these members consistently). */
export function poolKindOf(member: string): PoolKind | undefined {
  if (/KeyId$/.test(member) || member === 'KeyId') return 'keyId';
  if (member === 'AliasName') return 'aliasName';
  if (member === 'GrantId') return 'grantId';
  if (member === 'GrantToken' || member === 'GrantTokens') return 'grantToken';
  if (member === 'CustomKeyStoreId') return 'customKeyStoreId';
  if (/ClusterId$/.test(member) || member === 'ResourceId' || member === 'ResourceArn') return 'clusterId';
  if (member === 'HsmId') return 'hsmId';
  if (/BackupId$/.test(member)) return 'backupId';
  if (member === 'CiphertextBlob' || member === 'Signature' || member === 'Mac' || member === 'PublicKey') return 'ciphertext';
  if (member === 'Policy') return 'policy';
  if (/Principal$/.test(member)) return 'principal';
  return undefined;
}

const MISSING = Symbol('missing');
/** Deep enough to hurt a recursive walker, small enough for the 1 MiB body limit. */
const DEEP = 3000;

function loneSurrogate(): Arbitrary<string> {
  return fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
}

/** Strings with the characters that break naive code: lone surrogates, NUL, U+FFFD, RTL, emoji. */
export function nastyString(maxLength = 40): Arbitrary<string> {
  const unit = fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
    { weight: 2, arbitrary: loneSurrogate() },
    { weight: 1, arbitrary: fc.constantFrom('\u0000', '\ufffd', '\u202e', '\ud83d\ude00', '%00', '../', '"', '\\', '\n', ' ') },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'alias/', 'arn:aws:kms:') },
  );
  return fc.array(unit, { maxLength: Math.max(1, Math.min(maxLength, 12)) }).map((parts) => parts.join(''));
}

/** Any JSON value of the wrong kind, small, or a deep nesting. */
export function anyJson(): Arbitrary<unknown> {
  const leaf = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(2 ** 53 + 1, -(2 ** 63), 1e308, -0),
    nastyString(),
  );
  const small = fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }), fc.dictionary(nastyString(8), leaf, { maxKeys: 3 }));
  const deep = fc.constantFrom<'array' | 'object'>('array', 'object').map((kind) => new DeepNesting(kind, DEEP));
  return fc.oneof({ weight: 8, arbitrary: small }, { weight: 1, arbitrary: deep });
}

/**
 * A value nested `depth` levels deep once serialized (toJSON), shown briefly in fast-check's
 * reports: printing the nesting itself would overflow the stack of the reporter.
 */
class DeepNesting {
  constructor(
    private readonly kind: 'array' | 'object',
    private readonly depth: number,
  ) {}

  toJSON(): unknown {
    let v: unknown = 'x';
    for (let i = 0; i < this.depth; i++) v = this.kind === 'array' ? [v] : { a: v };
    return v;
  }

  [fc.toStringMethod](): string {
    return `<${this.kind} nested ${this.depth} deep>`;
  }
}

export class ModelInputs {
  constructor(
    private readonly model: ServiceModel,
    private readonly pool: ResourcePool,
  ) {}

  /** A request body for `operation`: usually an object, built from its input shape. */
  request(operation: string): Arbitrary<unknown> {
    const input = this.model.operations[operation]?.input;
    if (!input) return fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: this.extraMembers() });
    return this.structure(this.shape(input), 0);
  }

  private shape(name: string): ShapeDef {
    const s = this.model.shapes[name];
    if (!s) throw new Error(`no shape ${name} in the model`);
    return s;
  }

  private extraMembers(): Arbitrary<Record<string, unknown>> {
    return fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), nastyString(8)), anyJson(), { maxKeys: 3 });
  }

  private structure(shape: ShapeDef, depth: number): Arbitrary<Record<string, unknown>> {
    const required = new Set(shape.required ?? []);
    const members = Object.entries(shape.members ?? {}).map(([member, shapeName]) => {
      // Required members are there most of the time; optional ones half the time.
      const presentWeight = required.has(member) ? 9 : 3;
      return fc
        .oneof(
          { weight: 3, arbitrary: fc.constant<typeof MISSING>(MISSING) },
          { weight: presentWeight, arbitrary: this.value(shapeName, member, depth + 1) },
        )
        .map((v) => [member, v] as const);
    });
    const extra = fc.oneof({ weight: 5, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: this.extraMembers() });
    return fc.tuple(fc.tuple(...members), extra).map(([pairs, more]) => {
      const out: Record<string, unknown> = { ...more };
      for (const [k, v] of pairs) if (v !== MISSING) out[k] = v;
      return out;
    });
  }

  /** A value for a member of shape `shapeName`: mostly valid, sometimes at or past a limit, sometimes wrong. */
  private value(shapeName: string, member: string, depth: number): Arbitrary<unknown> {
    const shape = this.shape(shapeName);
    return fc.oneof(
      { weight: 6, arbitrary: this.valid(shape, member, depth) },
      { weight: 2, arbitrary: this.boundary(shape, member, depth) },
      { weight: 1, arbitrary: anyJson() },
    );
  }

  private fromPool(member: string): Arbitrary<string> | undefined {
    const kind = poolKindOf(member);
    const values = kind ? this.pool[kind] : undefined;
    return values && values.length > 0 ? fc.constantFrom(...values) : undefined;
  }

  private valid(shape: ShapeDef, member: string, depth: number): Arbitrary<unknown> {
    switch (shape.type) {
      case 'structure':
        return depth > 6 ? fc.constant({}) : this.structure(shape, depth);
      case 'string': {
        if (shape.enum) return fc.constantFrom(...shape.enum);
        const pooled = this.fromPool(member);
        const free = fc.string({ minLength: shape.min ?? 0, maxLength: Math.min(shape.max ?? 64, 64) });
        return pooled ? fc.oneof({ weight: 3, arbitrary: pooled }, { weight: 1, arbitrary: free }) : free;
      }
      case 'blob': {
        const pooled = this.fromPool(member);
        const bytes = fc
          .uint8Array({ minLength: Math.max(shape.min ?? 0, 1), maxLength: Math.min(shape.max ?? 512, 512) })
          .map((b) => Buffer.from(b).toString('base64'));
        return pooled ? fc.oneof(pooled, pooled.map(tamper), bytes) : bytes;
      }
      case 'integer':
      case 'long':
        return fc.integer({ min: shape.min ?? 0, max: Math.min(shape.max ?? 1000, 2 ** 31 - 1) });
      case 'double':
      case 'float':
        return fc.double({ noNaN: true, noDefaultInfinity: true });
      case 'boolean':
        return fc.boolean();
      case 'timestamp':
        return fc.integer({ min: 0, max: 4_102_444_800 });
      case 'list': {
        const item = this.value(shape.member ?? '', member, depth);
        const pooled = this.fromPool(member);
        const items = fc.array(pooled ?? item, { minLength: shape.min ?? 0, maxLength: Math.min(shape.max ?? 4, 4) });
        return items;
      }
      case 'map':
        return fc.dictionary(this.mapKey(shape), this.value(shape.value ?? '', '', depth), {
          minKeys: shape.min ?? 0,
          maxKeys: Math.min(shape.max ?? 4, 4),
        });
    }
  }

  private mapKey(shape: ShapeDef): Arbitrary<string> {
    const key = shape.key ? this.shape(shape.key) : undefined;
    if (key?.enum) return fc.constantFrom(...key.enum);
    return fc.oneof({ weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 16 }) }, { weight: 1, arbitrary: nastyString(8) });
  }

  private boundary(shape: ShapeDef, member: string, depth: number): Arbitrary<unknown> {
    switch (shape.type) {
      case 'structure':
        return fc.oneof(fc.constant({}), fc.constant([]), this.extraMembers());
      case 'string': {
        const lengths = [0, shape.min ?? 0, shape.max ?? 2048, (shape.max ?? 2048) + 1, 70_000];
        const enumWrong = shape.enum ? [shape.enum[0].toLowerCase(), ` ${shape.enum[0]}`, `${shape.enum[0]}\u0000`] : [];
        return fc.oneof(
          fc.constantFrom(...lengths).map((n) => 'a'.repeat(n)),
          fc.constantFrom(...lengths).map((n) => '\ud800'.repeat(n)),
          nastyString(),
          enumWrong.length > 0 ? fc.constantFrom(...enumWrong) : nastyString(),
          fc.constantFrom('\ud800', '\ufffd', 'alias/aws/ebs', 'arn:aws:kms:us-east-1:111122223333:key/', '*'),
        );
      }
      case 'blob': {
        const sizes = [0, 1, shape.max ?? 4096, (shape.max ?? 4096) + 1, 300_000];
        return fc.oneof(
          fc.constantFrom(...sizes).map((n) => Buffer.alloc(n, 7).toString('base64')),
          fc.constantFrom('', '=', 'YQ', 'YQ=', 'not base64!', '////', 'YWJj\n', 'YW Jj', '\ud800'),
          fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64url')),
        );
      }
      case 'integer':
      case 'long': {
        const min = shape.min ?? 0;
        const max = shape.max ?? 2 ** 31 - 1;
        return fc.constantFrom(min - 1, min, max, max + 1, -1, 0, 2 ** 31, 2 ** 63, 1.5, -1e308, 1e308);
      }
      case 'double':
      case 'float':
        return fc.constantFrom(0, -0, 1e308, -1e308, 5e-324);
      case 'boolean':
        return fc.constantFrom('true', 1, 0, 'false');
      case 'timestamp':
        return fc.constantFrom(-1, 1e20, '2020-01-01T00:00:00Z', 'yesterday', 1.5);
      case 'list': {
        const item = this.valid(this.shape(shape.member ?? ''), member, depth);
        const over = (shape.max ?? 100) + 1;
        return fc.oneof(
          fc.constant([]),
          fc.array(item, { minLength: Math.min(over, 200), maxLength: Math.min(over, 200) }),
          // A huge array of tiny items: 20,000 members, well under the body limit.
          fc.constant(Array.from({ length: 20_000 }, () => 'a')),
          fc.array(anyJson(), { maxLength: 3 }),
        );
      }
      case 'map': {
        const value = this.valid(this.shape(shape.value ?? ''), '', depth);
        const over = (shape.max ?? 50) + 1;
        return fc.oneof(
          fc.constant({}),
          fc.dictionary(nastyString(8), value, { minKeys: 1, maxKeys: 4 }),
          fc.constantFrom(JSON.parse('{"__proto__":"a"}') as object, { '': '' }, { '\ud800': '\ufffd' }, { constructor: 'x' }),
          fc.constant(Object.fromEntries(Array.from({ length: Math.min(over, 5000) }, (_, i) => [`k${i}`, 'v']))),
        );
      }
    }
  }
}

/** A pooled base64 value with one byte changed, or cut short: still well-formed base64. */
function tamper(b64: string): string {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length === 0) return b64;
  const copy = Buffer.from(bytes);
  copy[copy.length >> 1] ^= 0x01;
  return copy.toString('base64');
}
