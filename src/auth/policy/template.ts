/**
 * Policy variables (IAM User Guide, reference_policies_variables): `${key}` in Resource and in
 * String/ARN condition values is replaced by the request's value of that single-valued key;
 * `${key, 'default'}` supplies a value when the key is absent; `${*}`, `${?}` and `${$}` stand for
 * the literal characters. Variables exist only in Version 2012-10-17 policies; elsewhere the text is
 * literal. A substituted value is always literal: a `*` in a user name is not a wildcard.
 */
import { compileGlob, concatGlobs, type Glob } from './glob.js';

/** Resolves a condition key to its single string value, or undefined when absent or multi-valued. */
export type VariableLookup = (key: string) => string | undefined;

interface VariablePart {
  readonly key: string;
  readonly fallback: string | undefined;
}

type Part = Glob | VariablePart;

const isGlob = (part: Part): part is Glob => 'chars' in part;

export interface Template {
  /** Set when the text has no variables: the compiled pattern, ready to match. */
  readonly fixed: Glob | undefined;
  readonly parts: readonly Part[];
  /** Lower-case substituted values (the pattern itself is lower-cased at compile time). */
  readonly fold: boolean;
}

export interface TemplateOptions {
  variables: boolean;
  wildcards: boolean;
  /** Case-insensitive comparison: the pattern and every substituted value are lower-cased. */
  fold: boolean;
}

/** `${*}`, `${?}`, `${$}`: the literal characters. */
const ESCAPES = new Set(['*', '?', '$']);
/** Longer `${…}` texts are not variables: bounds the scan (condition keys and defaults are short). */
const MAX_VARIABLE_LENGTH = 512;

/** `name` or `name, 'default'` (the inside of `${…}`); undefined when it is not a variable, which then stays literal. */
function parseVariable(inner: string): { name: string; fallback: string | undefined } | undefined {
  const comma = inner.indexOf(',');
  const name = (comma < 0 ? inner : inner.slice(0, comma)).trim();
  if (comma < 0 && ESCAPES.has(name)) return { name, fallback: undefined };
  if (name === '' || /['${}*?]/.test(name)) return undefined;
  if (comma < 0) return { name, fallback: undefined };
  const rest = inner.slice(comma + 1).trim();
  const quoted = rest.length >= 2 && rest.startsWith("'") && rest.endsWith("'") && !rest.slice(1, -1).includes("'");
  return quoted ? { name, fallback: rest.slice(1, -1) } : undefined;
}

export function compileTemplate(text: string, options: TemplateOptions): Template {
  const literal = (s: string): Glob => compileGlob(options.fold ? s.toLowerCase() : s, options.wildcards);
  if (!options.variables || !text.includes('${')) {
    const glob = literal(text);
    return { fixed: glob, parts: [glob], fold: options.fold };
  }
  const parts: Part[] = [];
  let last = 0;
  let hasVariable = false;
  // A plain scan rather than a regular expression: linear in the text, whatever a policy author writes.
  let at = text.indexOf('${');
  // The first `}` after `at`: shared by every `${` before it, so it is searched for once per `}`.
  let close = -1;
  while (at >= 0) {
    if (close < at + 2) close = text.indexOf('}', at + 2);
    if (close < 0) break;
    const variable = close - at <= MAX_VARIABLE_LENGTH ? parseVariable(text.slice(at + 2, close)) : undefined;
    if (variable === undefined) {
      at = text.indexOf('${', at + 2);
      continue;
    }
    if (at > last) parts.push(literal(text.slice(last, at)));
    if (variable.fallback === undefined && ESCAPES.has(variable.name)) {
      parts.push(compileGlob(variable.name, false));
    } else {
      hasVariable = true;
      const { name, fallback } = variable;
      parts.push({ key: name, fallback: fallback !== undefined && options.fold ? fallback.toLowerCase() : fallback });
    }
    last = close + 1;
    at = text.indexOf('${', last);
  }
  if (last < text.length) parts.push(literal(text.slice(last)));
  if (!hasVariable) {
    const glob = concatGlobs(parts.filter(isGlob));
    return { fixed: glob, parts: [glob], fold: options.fold };
  }
  return { fixed: undefined, parts, fold: options.fold };
}

/** The pattern for this request, or undefined when a variable has no value (then nothing matches it). */
export function resolveTemplate(template: Template, lookup: VariableLookup): Glob | undefined {
  if (template.fixed) return template.fixed;
  const pieces: Glob[] = [];
  for (const part of template.parts) {
    if (isGlob(part)) {
      pieces.push(part);
      continue;
    }
    const value = lookup(part.key) ?? part.fallback;
    if (value === undefined) return undefined;
    pieces.push(compileGlob(template.fold ? value.toLowerCase() : value, false));
  }
  return concatGlobs(pieces);
}

/** Whether the text uses a variable other than the escapes (for the "no variables here" rules). */
export function usesVariables(template: Template): boolean {
  return template.fixed === undefined;
}
