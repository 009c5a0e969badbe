/**
 * Reading a kmsd config file for `kmsd serve --config` and `kmsd config check`: JSON syntax
 * errors name the line and column, everything else is checkConfig's (src/config.ts).
 */
import { readFileSync } from 'node:fs';
import { parse, printParseErrorCode } from 'jsonc-parser';
import type { ParseError } from 'jsonc-parser';
import { checkConfig } from '../config.js';
import type { KmsdConfig } from '../config.js';

export class ConfigFileError extends Error {
  override name = 'ConfigFileError';
}

export function readConfigFile(path: string): KmsdConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigFileError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigFileError(`${path}:${jsonSyntaxError(text)}`);
  }
  try {
    return checkConfig(parsed, path);
  } catch (err) {
    throw new ConfigFileError((err as Error).message);
  }
}

/**
 * Where and what the first JSON syntax error is, as "line:column: invalid JSON: <what>".
 * V8's own message names a position only for some errors (and differently across Node
 * versions), so jsonc-parser, in strict JSON mode, locates it.
 */
export function jsonSyntaxError(text: string): string {
  const errors: ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  const offset = first ? first.offset : text.length;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  // "PropertyNameExpected" -> "property name expected"
  const what = first
    ? printParseErrorCode(first.error)
        .replace(/(?<=[a-z])(?=[A-Z])/g, ' ')
        .toLowerCase()
    : 'not JSON';
  return `${line}:${column}: invalid JSON: ${what}`;
}
