/** Wildcard patterns and policy-variable templates, below the evaluator. */
import { describe, expect, it } from 'vitest';
import { compileGlob, globMatches } from './glob.js';
import { compileTemplate, resolveTemplate, type VariableLookup } from './template.js';

describe('globMatches', () => {
  const rows: [pattern: string, text: string, matches: boolean][] = [
    ['', '', true],
    ['', 'a', false],
    ['*', '', true],
    ['*', 'anything:at/all', true],
    ['**', 'x', true],
    ['?', '', false],
    ['?', 'x', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a*', 'a', true],
    ['*a', 'bba', true],
    ['*a', 'bab', false],
    ['a*b*c', 'abbbc', true],
    ['a*b*c', 'acb', false],
    ['*ab', 'aab', true],
    ['*a*a*a*a*a*b', 'a'.repeat(5000), false],
    ['*a*a*a*a*a*b', 'a'.repeat(5000) + 'b', true],
  ];
  it.each(rows)('%j against %j -> %s', (pattern, text, matches) => {
    expect(globMatches(compileGlob(pattern, true), text)).toBe(matches);
  });

  it('treats * and ? as plain characters without wildcards', () => {
    expect(globMatches(compileGlob('a*', false), 'abc')).toBe(false);
    expect(globMatches(compileGlob('a*', false), 'a*')).toBe(true);
  });
});

describe('templates with policy variables', () => {
  const values: Record<string, string> = { 'aws:username': 'Alice', 'aws:principaltag/team': 'blue', constructor: 'c' };
  const lookup: VariableLookup = (key) => (Object.hasOwn(values, key.toLowerCase()) ? values[key.toLowerCase()] : undefined);
  const resolved = (text: string, fold = false): string | undefined =>
    resolveTemplate(compileTemplate(text, { variables: true, wildcards: true, fold }), lookup)?.chars;

  const rows: [text: string, expected: string | undefined][] = [
    ['home/${aws:username}/*', 'home/Alice/*'],
    ['${aws:username}${aws:PrincipalTag/team}', 'Aliceblue'],
    ['${ aws:username }', 'Alice'],
    ["${aws:PrincipalTag/project , 'shared space'}", 'shared space'],
    ["${aws:PrincipalTag/team, 'shared'}", 'blue'],
    ['${aws:PrincipalTag/missing}', undefined],
    ['${constructor}', 'c'],
    ['${toString}', undefined],
    // Not variables: kept literally.
    ['${aws:username', '${aws:username'],
    ["${a'b}", "${a'b}"],
    ['${aws:username, default}', '${aws:username, default}'],
    ['${}', '${}'],
    ['$${aws:username}}', '$Alice}'],
    [`\${${'x'.repeat(600)}}`, `\${${'x'.repeat(600)}}`],
  ];
  it.each(rows)('%j -> %j', (text, expected) => {
    expect(resolved(text)).toBe(expected);
  });

  it('keeps escapes and substituted values literal', () => {
    const template = compileTemplate('${*}${aws:username}*', { variables: true, wildcards: true, fold: false });
    const glob = resolveTemplate(template, () => '?');
    expect(glob && globMatches(glob, '*?anything')).toBe(true);
    expect(glob && globMatches(glob, 'x?anything')).toBe(false);
    expect(glob && globMatches(glob, '*Xanything')).toBe(false);
  });

  it('folds the pattern and substituted values for case-insensitive operators', () => {
    expect(resolved("${aws:username}-${aws:PrincipalTag/none, 'DEF'}-X", true)).toBe('alice-def-x');
  });

  it('leaves text literal when variables are off (Version 2008-10-17)', () => {
    const template = compileTemplate('${aws:username}', { variables: false, wildcards: true, fold: false });
    expect(resolveTemplate(template, lookup)?.chars).toBe('${aws:username}');
  });

  it('scans a long text of unclosed and invalid variables correctly', () => {
    const text = "${'x".repeat(20000) + '${aws:username}';
    expect(resolved(text)?.endsWith('Alice')).toBe(true);
  });
});
