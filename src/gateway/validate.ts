/**
 * Applies a service model's shapes to a parsed JSON request body, the way AWS's front end
 * ("Coral") does:
 *
 * 1. Type check. A JSON value of the wrong type is a SerializationException, reported at
 *    the first offending member (Coral stops deserializing there).
 * 2. Constraints (required, length/value range, pattern, enum), all collected in model
 *    member order, reported together as one ValidationException:
 *    `2 validation errors detected: Value 'x' at 'keyUsage' failed to satisfy constraint: …; …`
 *
 * The result is the decoded input: blobs become Buffers, timestamps Dates, nulls are dropped
 * and members the model does not know are ignored (AWS ignores them too).
 */
import type { ServiceModel, ShapeDef } from '../core/shape.js';
import { SerializationException, ValidationException } from '../core/service-error.js';
import { formatViolations } from '../core/validation-error.js';
import type { Violation } from '../core/validation-error.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Standard, padded base64, checked by one pass over the characters (a regex over a 6 KiB
 * ciphertext was a visible share of the Decrypt hot path).
 */
function isStrictBase64(s: string): boolean {
  if (s.length % 4 !== 0) return false;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  for (let i = 0; i < s.length - pad; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 65 && c <= 90) || // A-Z
      (c >= 97 && c <= 122) || // a-z
      (c >= 48 && c <= 57) || // 0-9
      c === 43 || // +
      c === 47; // /
    if (!ok) return false;
  }
  return true;
}

/**
 * The bytes of a base64 blob, or undefined when it is not one. What the SDKs send, canonical
 * base64, is recognised by a round trip through Node's native codec, several times cheaper than
 * the character loop; anything else (whitespace, non-zero trailing bits) takes the loop.
 */
function decodeBase64(s: string): Buffer | undefined {
  const bytes = Buffer.from(s, 'base64');
  if (bytes.toString('base64') === s) return bytes;
  let compact = s;
  if (!isStrictBase64(s)) {
    compact = s.replace(/\s+/g, '');
    if (!isStrictBase64(compact)) return undefined;
  }
  return Buffer.from(compact, 'base64');
}

/** Coral names members in lower camel case: `CustomKeyStoreName` -> `customKeyStoreName`. */
function coralName(member: string): string {
  return member.charAt(0).toLowerCase() + member.slice(1);
}

function jsonType(v: Json): string {
  if (Array.isArray(v)) return 'START_ARRAY';
  if (v === null) return 'VALUE_NULL';
  switch (typeof v) {
    case 'string':
      return 'STRING_VALUE';
    case 'number':
      return 'NUMBER_VALUE';
    case 'boolean':
      return 'BOOLEAN_VALUE';
    default:
      return 'START_OBJECT';
  }
}

/** Java regexes from the model, anchored because Coral uses full-string matching. */
const regexCache = new Map<string, RegExp>();
function compilePattern(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    try {
      re = new RegExp(`^(?:${pattern})$`, 'u');
    } catch {
      re = new RegExp(`^(?:${pattern})$`);
    }
    regexCache.set(pattern, re);
  }
  return re;
}

/** A structure member as the walk needs it, worked out once per shape rather than per request. */
interface MemberPlan {
  member: string;
  /** Its name in Coral's messages. */
  coral: string;
  shapeName: string;
  shape: ShapeDef;
  required: boolean;
}

export class ModelValidator {
  private readonly plans = new Map<ShapeDef, MemberPlan[]>();

  constructor(private readonly model: ServiceModel) {}

  private planOf(shape: ShapeDef): MemberPlan[] {
    let plan = this.plans.get(shape);
    if (!plan) {
      const required = new Set(shape.required ?? []);
      plan = Object.entries(shape.members ?? {}).map(([member, shapeName]) => ({
        member,
        coral: coralName(member),
        shapeName,
        shape: this.model.shapes[shapeName],
        required: required.has(member),
      }));
      this.plans.set(shape, plan);
    }
    return plan;
  }

  /** Validate and decode the input of `operation`. Throws Serialization/ValidationException. */
  decodeInput(operation: string, body: Json): Record<string, unknown> {
    const inputShape = this.model.operations[operation]?.input;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new SerializationException('Start of structure or map expected.');
    }
    if (!inputShape) return {};
    const violations: Violation[] = [];
    const decoded = this.decodeStructure(this.model.shapes[inputShape], body, '', violations) as Record<string, unknown>;
    if (violations.length > 0) throw new ValidationException(formatViolations(violations));
    return decoded;
  }

  private decodeStructure(shape: ShapeDef, value: { [key: string]: Json }, path: string, out: Violation[]): unknown {
    const result: Record<string, unknown> = {};
    for (const { member, coral, shapeName, shape: memberShape, required } of this.planOf(shape)) {
      const memberPath = path ? `${path}.${coral}` : coral;
      const raw = Object.prototype.hasOwnProperty.call(value, member) ? value[member] : null;
      if (raw === null || raw === undefined) {
        if (required) out.push({ path: memberPath, value: null, constraint: 'Member must not be null' });
        continue;
      }
      result[member] = this.decodeValue(shapeName, raw, memberPath, member, out, memberShape);
    }
    return result;
  }

  private decodeValue(
    shapeName: string,
    raw: Json,
    path: string,
    member: string,
    out: Violation[],
    shape: ShapeDef = this.model.shapes[shapeName],
  ): unknown {
    switch (shape.type) {
      case 'structure':
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw typeError(raw, 'a structure');
        return this.decodeStructure(shape, raw, path, out);
      case 'list': {
        if (!Array.isArray(raw)) throw typeError(raw, 'a list');
        const items = raw.map((item, i) =>
          item === null ? null : this.decodeValue(shape.member as string, item, `${path}.${i + 1}.member`, member, out),
        );
        this.checkLength(shape, items.length, raw, path, out);
        return items.filter((i) => i !== null);
      }
      case 'map': {
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw typeError(raw, 'a map');
        const result: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(raw)) {
          if (v === null) continue;
          this.decodeValue(shape.key as string, k, `${path}.key`, member, out);
          // defineProperty, not assignment: `{"__proto__": "x"}` in an encryption context is
          // a key like any other and must not vanish (it would silently change the AAD).
          Object.defineProperty(result, k, {
            value: this.decodeValue(shape.value as string, v, `${path}.${k}.value`, member, out),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        this.checkLength(shape, Object.keys(result).length, raw, path, out);
        return result;
      }
      case 'string': {
        if (typeof raw !== 'string') throw typeError(raw, 'a String');
        this.checkLength(shape, raw.length, raw, path, out);
        if (shape.pattern && !compilePattern(shape.pattern).test(raw)) {
          out.push({
            path,
            value: shown(shape, raw),
            constraint: `Member must satisfy regular expression pattern: ${shape.pattern}`,
          });
        }
        if (shape.enum && !shape.enum.includes(raw)) {
          out.push({
            path,
            value: shown(shape, raw),
            constraint: `Member must satisfy enum value set: [${(this.model.enumMessageOrder?.[shapeName] ?? shape.enum).join(', ')}]`,
          });
        }
        return raw;
      }
      case 'blob': {
        if (typeof raw !== 'string') throw typeError(raw, 'a ByteBuffer');
        const bytes = decodeBase64(raw);
        if (!bytes) throw new SerializationException(`Value for '${member}' is not a valid base64-encoded blob.`);
        this.checkLength(shape, bytes.length, bytes, path, out);
        return bytes;
      }
      case 'integer':
      case 'long':
      case 'double':
      case 'float': {
        if (typeof raw !== 'number') throw typeError(raw, shape.type === 'integer' ? 'an Integer' : 'a Number');
        if ((shape.type === 'integer' || shape.type === 'long') && !Number.isInteger(raw)) {
          throw new SerializationException(`NUMBER_VALUE ${raw} can not be converted to an Integer`);
        }
        if (shape.min !== undefined && raw < shape.min) {
          out.push({ path, value: String(raw), constraint: `Member must have value greater than or equal to ${shape.min}` });
        }
        if (shape.max !== undefined && raw > shape.max) {
          out.push({ path, value: String(raw), constraint: `Member must have value less than or equal to ${shape.max}` });
        }
        return raw;
      }
      case 'boolean':
        if (typeof raw !== 'boolean') throw typeError(raw, 'a Boolean');
        return raw;
      case 'timestamp': {
        if (typeof raw !== 'number') throw typeError(raw, 'a Date');
        const date = new Date(raw * 1000);
        // JSON numbers such as 1e300 parse, but are no instant a Date can hold.
        if (Number.isNaN(date.getTime())) throw new SerializationException(`NUMBER_VALUE ${raw} can not be converted to a Date`);
        return date;
      }
    }
  }

  private checkLength(shape: ShapeDef, length: number, raw: Json | Buffer | unknown[], path: string, out: Violation[]): void {
    // Printed only for a violation: most values pass, and a list or map can be large.
    const value = () => (shape.sensitive ? undefined : display(raw));
    if (shape.min !== undefined && length < shape.min) {
      out.push({ path, value: value(), constraint: `Member must have length greater than or equal to ${shape.min}` });
    }
    if (shape.max !== undefined && length > shape.max) {
      out.push({ path, value: value(), constraint: `Member must have length less than or equal to ${shape.max}` });
    }
  }
}

function shown(shape: ShapeDef, raw: string): string | undefined {
  return shape.sensitive ? undefined : raw;
}

/**
 * Nesting printed in a message; deeper values show as `...`. A list of structures can carry
 * unknown members nested thousands deep (the model ignores them), which must not overflow
 * the stack (found by the fuzz in test/fuzz: a 500 before).
 */
const DISPLAY_DEPTH = 8;

/** How Coral prints a value: strings as is, lists as [a, b], byte buffers by their Java name. */
function display(raw: Json | Buffer | unknown[], depth = 0): string {
  if (Buffer.isBuffer(raw)) return `java.nio.HeapByteBuffer[pos=0 lim=${raw.length} cap=${raw.length}]`;
  if (raw !== null && typeof raw === 'object' && depth >= DISPLAY_DEPTH) return '...';
  if (Array.isArray(raw)) return `[${raw.map((r) => display(r as Json, depth + 1)).join(', ')}]`;
  if (raw !== null && typeof raw === 'object') {
    return `{${Object.entries(raw)
      .map(([k, v]) => `${k}=${display(v as Json, depth + 1)}`)
      .join(', ')}}`;
  }
  return String(raw);
}

function typeError(raw: Json, expected: string): SerializationException {
  const t = jsonType(raw);
  if (t === 'START_OBJECT' || t === 'START_ARRAY') {
    return new SerializationException(`Start of ${t === 'START_OBJECT' ? 'structure or map' : 'list'} found where not expected`);
  }
  return new SerializationException(`${t} can not be converted to ${expected}`);
}
