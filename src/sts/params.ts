/**
 * Reading awsQuery form parameters with the model's constraints, reported in AWS's Coral form:
 * `1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: …`.
 * Every violation of a request is collected and reported together, as AWS does.
 */
import { StsValidationError } from './errors.js';

interface StringRule {
  min: number;
  max: number;
  /** The model's pattern as AWS prints it, and its anchored RegExp. */
  pattern?: [string, RegExp];
}

export class QueryParams {
  private readonly problems: string[] = [];

  constructor(private readonly params: URLSearchParams) {}

  string(name: string, rule: StringRule, required: true): string;
  string(name: string, rule: StringRule, required?: false): string | undefined;
  string(name: string, rule: StringRule, required = false): string | undefined {
    const value = this.params.get(name) ?? undefined;
    if (value === undefined) {
      if (required) this.problem(`Value null at '${memberName(name)}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    this.checkString(value, memberName(name), rule);
    return value;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const text = this.params.get(name);
    if (text === null) return undefined;
    const value = Number(text);
    if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value)) {
      this.problem(`Value '${text}' at '${memberName(name)}' failed to satisfy constraint: Member must be a whole number`);
      return undefined;
    }
    if (value < min)
      this.problem(
        `Value '${value}' at '${memberName(name)}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`,
      );
    if (value > max)
      this.problem(
        `Value '${value}' at '${memberName(name)}' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
      );
    return value;
  }

  /** `Name.member.N.Key` / `.Value` pairs (awsQuery lists of structures), in N order. */
  keyValueList(name: string, maxItems: number, key: StringRule, value: StringRule): { key: string; value: string }[] {
    const out: { key: string; value: string }[] = [];
    for (let n = 1; ; n++) {
      const k = this.params.get(`${name}.member.${n}.Key`);
      const v = this.params.get(`${name}.member.${n}.Value`);
      if (k === null && v === null) break;
      const at = `${memberName(name)}.${n}.member`;
      if (k === null) this.problem(`Value null at '${at}.key' failed to satisfy constraint: Member must not be null`);
      else this.checkString(k, `${at}.key`, key);
      if (v === null) this.problem(`Value null at '${at}.value' failed to satisfy constraint: Member must not be null`);
      else this.checkString(v, `${at}.value`, value);
      out.push({ key: k ?? '', value: v ?? '' });
    }
    if (out.length > maxItems) {
      this.problem(
        `Value '[${out.map((t) => `Tag(key=${t.key}, value=${t.value})`).join(', ')}]' at '${memberName(name)}' failed to satisfy constraint: Member must have length less than or equal to ${maxItems}`,
      );
    }
    return out;
  }

  has(prefix: string): boolean {
    for (const key of this.params.keys()) if (key === prefix || key.startsWith(`${prefix}.`)) return true;
    return false;
  }

  /** Throws one ValidationError listing every problem found so far. */
  done(): void {
    const n = this.problems.length;
    if (n > 0) throw new StsValidationError(`${n} validation error${n > 1 ? 's' : ''} detected: ${this.problems.join('; ')}`);
  }

  private checkString(value: string, at: string, rule: StringRule): void {
    if (value.length < rule.min)
      this.problem(
        `Value '${value}' at '${at}' failed to satisfy constraint: Member must have length greater than or equal to ${rule.min}`,
      );
    if (value.length > rule.max)
      this.problem(`Value '${value}' at '${at}' failed to satisfy constraint: Member must have length less than or equal to ${rule.max}`);
    if (rule.pattern && !rule.pattern[1].test(value)) {
      this.problem(
        `Value '${value}' at '${at}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${rule.pattern[0]}`,
      );
    }
  }

  private problem(text: string): void {
    this.problems.push(text);
  }
}

/** `RoleSessionName` -> `roleSessionName`: Coral names members in lower camel case. */
function memberName(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/**
 * A model pattern, printed as AWS prints it and matched against the whole value; `jsSource`
 * where the model's syntax differs from JavaScript's (`\u10000` is `\u{10000}` here).
 */
export function pattern(source: string, jsSource = source): [string, RegExp] {
  return [source, new RegExp(`^(?:${jsSource})$`, 'u')];
}
