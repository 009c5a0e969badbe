/**
 * DESIGN.md §1: keystores is a port below the KMS service. It throws its own errors
 * (errors.ts) and must not reach up into the KMS layer or its wire exceptions.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = resolve(here, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every module a file imports or re-exports (static and dynamic), as a path under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'([^']+)'/gm)].map((m) => m[1]);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => relative(srcDir, resolve(dirname(file), s)));
}

const FORBIDDEN = [/^kms\//, /^generated\/kms\.js$/];

describe('src/keystores layering', () => {
  const files = sourceFiles(here);

  it('finds the port modules and their relative imports', () => {
    expect(files.map((f) => relative(srcDir, f))).toContain('keystores/cloudhsm-key-backend.ts');
    expect(importsOf(join(here, 'cloudhsm-key-backend.ts'))).toContain('keystores/errors.js');
  });

  it('imports nothing from src/kms or the KMS wire exceptions', () => {
    const offending = files.flatMap((file) =>
      importsOf(file)
        .filter((target) => FORBIDDEN.some((re) => re.test(target)))
        .map((target) => `${relative(srcDir, file)} -> ${target}`),
    );
    expect(offending).toEqual([]);
  });
});
