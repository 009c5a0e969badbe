/**
 * What of a request may go into the audit log: its parameters with every secret removed.
 * A member is left out when the model marks its shape `sensitive` (Plaintext, key store
 * passwords, XKS credentials), when it is a blob (plaintexts, ciphertexts, key material; AWS's
 * CloudTrail records of Encrypt/Decrypt carry none either), or when its name says it holds a
 * secret (password, secret, plaintext, token: grant tokens authorize like credentials).
 * Members the model does not know are left out too. Names become lowerCamel as in CloudTrail.
 */
import type { ServiceModel, ShapeDef } from '../core/shape.js';

const SECRET_NAME = /plaintext|password|secret|token|credential/i;

type Params = Record<string, unknown>;

export function redactJsonInput(model: ServiceModel, operation: string, input: unknown): Params | undefined {
  const shapeName = Object.hasOwn(model.operations, operation) ? model.operations[operation].input : null;
  if (!shapeName) return undefined;
  const value = redact(model, shapeName, input);
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Params) : undefined;
}

function redact(model: ServiceModel, shapeName: string, value: unknown): unknown {
  const shape: ShapeDef | undefined = model.shapes[shapeName];
  if (!shape || shape.sensitive || shape.type === 'blob' || value === null || value === undefined) return undefined;
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) return undefined;
      const out: Params = {};
      for (const [member, memberShape] of Object.entries(shape.members ?? {})) {
        if (SECRET_NAME.test(member) || !Object.hasOwn(value, member)) continue;
        const v = redact(model, memberShape, (value as Params)[member]);
        if (v !== undefined) out[member.charAt(0).toLowerCase() + member.slice(1)] = v;
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) && shape.member ? value.map((v) => redact(model, shape.member ?? '', v)) : undefined;
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value) || !shape.value) return undefined;
      const out: Params = {};
      for (const [k, v] of Object.entries(value)) {
        // defineProperty: a map key named __proto__ stays a plain key.
        Object.defineProperty(out, k, { value: redact(model, shape.value, v), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      return typeof value === 'object' ? undefined : value;
  }
}

/** awsQuery parameters (STS) without Action/Version and without secret-named ones, names lowerCamel. */
export function redactQueryInput(params: URLSearchParams): Params {
  const out: Params = {};
  for (const [name, value] of params) {
    if (name === 'Action' || name === 'Version' || SECRET_NAME.test(name)) continue;
    Object.defineProperty(out, name.charAt(0).toLowerCase() + name.slice(1), {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
