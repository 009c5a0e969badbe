/**
 * ARN patterns for Resource/NotResource and the Arn* condition operators. IAM compares an ARN
 * segment by segment (`arn:partition:service:region:account:resource`, the resource part keeping
 * any further colons), with `*`/`?` inside a segment; a pattern with fewer segments lets its last
 * segment cover the rest, so `arn:aws:kms:*` and `*` cover every KMS ARN (IAM User Guide,
 * reference_policies_elements_resource and condition_operators "ARN condition operators").
 */
import { globMatches, matchesEverything } from './glob.js';
import { compileTemplate, resolveTemplate, type Template, type VariableLookup } from './template.js';

const SEGMENTS = 6;

export type ArnPattern = readonly Template[];

/** Splits at the first five colons; the sixth segment keeps the rest of the text. */
export function splitArn(text: string, skipVariables = false): string[] {
  const segments: string[] = [];
  let from = 0;
  let at = 0;
  while (segments.length < SEGMENTS - 1 && at < text.length) {
    if (skipVariables && text.startsWith('${', at)) {
      // A variable's name holds colons of its own (${aws:username}): it belongs to the segment around it.
      const close = text.indexOf('}', at);
      at = close < 0 ? text.length : close + 1;
    } else if (text[at] === ':') {
      segments.push(text.slice(from, at));
      from = ++at;
    } else {
      at++;
    }
  }
  segments.push(text.slice(from));
  return segments;
}

/**
 * `variablesFrom`: the first segment index where `${…}` is a variable (Resource allows them only in
 * the resource part, after the fifth colon; condition values allow them anywhere).
 */
export function compileArnPattern(text: string, variables: boolean, variablesFrom: number): ArnPattern {
  return splitArn(text, variables).map((segment, index) =>
    compileTemplate(segment, { variables: variables && index >= variablesFrom, wildcards: true, fold: false }),
  );
}

/** Whether the pattern is a lone `*`, which matches any resource (`*` itself included) without splitting it. */
export function matchesAnyArn(pattern: ArnPattern): boolean {
  const only = pattern.length === 1 ? pattern[0]?.fixed : undefined;
  return only !== undefined && matchesEverything(only);
}

export function arnMatches(pattern: ArnPattern, segments: readonly string[], lookup: VariableLookup): boolean {
  if (segments.length < pattern.length) return false;
  const last = pattern.length - 1;
  for (let i = 0; i <= last; i++) {
    const template = pattern[i];
    if (template === undefined) return false;
    const glob = resolveTemplate(template, lookup);
    if (glob === undefined) return false;
    if (i === last && segments.length > pattern.length) {
      // The last pattern segment covers the rest of the ARN, colons and all; a lone `*` (every
      // key policy's "Resource": "*") matches it without joining the rest back together.
      return matchesEverything(glob) || globMatches(glob, segments.slice(i).join(':'));
    }
    const text = segments[i];
    if (text === undefined || !globMatches(glob, text)) return false;
  }
  return true;
}
