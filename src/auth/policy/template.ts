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

// `${name}` or `${name, 'default'}`; names are condition keys (tag keys may hold spaces, + = . _ : / @ -).
const VARIABLE = /\$\{([^}',]+?)\s*(?:,\s*'([^']*)'\s*)?\}/g;
const ESCAPES: Record<string, string> = { '*': '*', '?': '?', $: '$' };

export function compileTemplate(text: string, options: TemplateOptions): Template {
  const literal = (s: string): Glob => compileGlob(options.fold ? s.toLowerCase() : s, options.wildcards);
  if (!options.variables || !text.includes('${')) {
    const glob = literal(text);
    return { fixed: glob, parts: [glob], fold: options.fold };
  }
  const parts: Part[] = [];
  let last = 0;
  let hasVariable = false;
  for (const match of text.matchAll(VARIABLE)) {
    if (match.index > last) parts.push(literal(text.slice(last, match.index)));
    const name = (match[1] ?? '').trim();
    const escaped = ESCAPES[name];
    if (escaped !== undefined) {
      parts.push(compileGlob(escaped, false));
    } else {
      hasVariable = true;
      const fallback = match[2];
      parts.push({ key: name, fallback: fallback !== undefined && options.fold ? fallback.toLowerCase() : fallback });
    }
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(literal(text.slice(last)));
  if (!hasVariable) {
    const glob = concatGlobs(parts as Glob[]);
    return { fixed: glob, parts: [glob], fold: options.fold };
  }
  return { fixed: undefined, parts, fold: options.fold };
}

/** The pattern for this request, or undefined when a variable has no value (then nothing matches it). */
export function resolveTemplate(template: Template, lookup: VariableLookup): Glob | undefined {
  if (template.fixed) return template.fixed;
  const pieces: Glob[] = [];
  for (const part of template.parts) {
    if ('chars' in part) {
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
