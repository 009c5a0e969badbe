/**
 * AWS's ("Coral") wording for constraint violations, shared by the model validator in the
 * gateway and by operations that enforce rules the model cannot express.
 */
import { ValidationException } from './service-error.js';

export interface Violation {
  /** lower-camel member path, e.g. `tags.1.member.tagKey` */
  path: string;
  /** the value as Coral prints it; null prints `Value null`; undefined omits it (sensitive) */
  value: string | null | undefined;
  constraint: string;
}

export function formatViolations(violations: Violation[]): string {
  const n = violations.length;
  const head = `${n} validation error${n === 1 ? '' : 's'} detected: `;
  return (
    head +
    violations
      .map((v) => {
        const value = v.value === undefined ? 'Value' : v.value === null ? 'Value null' : `Value '${v.value}'`;
        return `${value} at '${v.path}' failed to satisfy constraint: ${v.constraint}`;
      })
      .join('; ')
  );
}

/** One violation as a ValidationException, e.g. a 7–30 day window the model allows 1–365 for. */
export function validationError(path: string, value: string | null | undefined, constraint: string): ValidationException {
  return new ValidationException(formatViolations([{ path, value, constraint }]));
}
