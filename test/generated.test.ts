/**
 * src/generated/ is generated: a fresh run of scripts/generate-models.mjs must reproduce it
 * byte for byte, from the full models when they are present and from the committed facts
 * snapshot (models/) in a clean clone.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = 'scripts/generate-models.mjs';

async function generator(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, [SCRIPT, ...args]);
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? 1, stderr: e.stderr ?? '' };
  }
}

describe('generated code', () => {
  it('matches a fresh run of the generator', async () => {
    expect(await generator(['--check'])).toMatchObject({ code: 0 });
  });

  it('renders the same code from the committed facts snapshot alone', async () => {
    const result = await generator(['--check', '--models-dir', join(tmpdir(), 'kmsd-no-models-here')]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('rendered from the committed snapshots in models/');
  });

  it('fails, naming the file, when generated code was edited by hand', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmsd-generated-'));
    try {
      cpSync('src/generated', dir, { recursive: true });
      const file = join(dir, 'kms.ts');
      writeFileSync(file, readFileSync(file, 'utf8').replace("'NotFoundException', message, 400", "'NotFoundException', message, 404"));
      const result = await generator(['--check', '--out-dir', dir]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`generated files differ from a fresh run (run \`npm run generate\`):\n  ${file}\n`);
      expect(result.stderr).not.toContain('cloudhsmv2.ts');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
