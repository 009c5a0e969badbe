/**
 * The README's shell examples, run as written against a fresh kmsd: every ```sh block right
 * after a `<!-- readme-test: ... -->` marker, once with the AWS CLI v2 (/usr/bin/aws) and once
 * with an AWS CLI v1 when one is on the machine (CI may have none: that half is then skipped
 * with the reason printed). The marker may say what the block must print last
 * (`prints "..."`) and what to type at its prompts (`stdin "..."`).
 *
 * As a reader would: `aws` and `kmsd` are commands on PATH (`kmsd` as after `npm link`), and
 * the documented endpoint http://127.0.0.1:4599 is replaced by the test kmsd's own URL.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { startKmsd } from './helpers/kmsd.js';

const DOCUMENTED_ENDPOINT = 'http://127.0.0.1:4599';
const BLOCK_TIMEOUT_MS = 240_000;

interface Block {
  line: number;
  script: string;
  prints?: string;
  stdin?: string;
}

/** The marked blocks of README.md, in order. */
function markedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = /^<!-- readme-test:(.*)-->$/.exec(lines[i]);
    if (!marker) continue;
    // The block follows the marker, after at most one blank line (as Prettier writes it).
    const fence = lines[i + 1] === '' ? i + 2 : i + 1;
    if (lines[fence] !== '```sh') throw new Error(`README.md:${i + 1}: a readme-test marker must be followed by a \`\`\`sh block`);
    const end = lines.indexOf('```', fence + 1);
    const attrs: Record<string, string> = {};
    for (const m of marker[1].matchAll(/(\w+) ("(?:[^"\\]|\\.)*")/g)) attrs[m[1]] = JSON.parse(m[2]) as string;
    blocks.push({ line: fence + 2, script: lines.slice(fence + 1, end).join('\n'), prints: attrs.prints, stdin: attrs.stdin });
  }
  return blocks;
}

/** An AWS CLI v1 on PATH (a pyenv or pip install), if any: its path and version line. */
function findCliV1(): { path: string; version: string } | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'aws');
    if (!dir || candidate === '/usr/bin/aws' || !existsSync(candidate)) continue;
    try {
      const out = execFileSync(candidate, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
      if (/^aws-cli\/1\./.test(out.trim())) return { path: candidate, version: out.trim() };
    } catch (err) {
      // Older v1 releases print their version on stderr.
      const stderr = String((err as { stderr?: unknown }).stderr ?? '');
      if (/^aws-cli\/1\./.test(stderr.trim())) return { path: candidate, version: stderr.trim() };
    }
  }
  return undefined;
}

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** A directory with `aws` (the chosen CLI) and `kmsd` (this checkout's) commands. */
function commandDir(awsPath: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kmsd-readme-bin-'));
  temps.push(dir);
  const shim = (name: string, command: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\nexec ${command} "$@"\n`);
    chmodSync(join(dir, name), 0o755);
  };
  shim('aws', awsPath);
  shim('kmsd', `'${process.execPath}' '${resolve('bin/kmsd.js')}'`);
  return dir;
}

/** The environment without AWS_* and KMSD_* settings of the machine running the tests. */
function cleanEnv(bin: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(AWS_|KMSD_)/.test(k)) env[k] = v;
  return {
    ...env,
    PATH: `${bin}${delimiter}${env.PATH ?? '/usr/bin:/bin'}`,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
  };
}

function runBlock(
  block: Block,
  url: string,
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = join(cwd, `block-${block.line}.sh`);
  writeFileSync(script, block.script.split(DOCUMENTED_ENDPOINT).join(url));
  const proc = spawn('bash', ['-e', '-o', 'pipefail', script], { cwd, env });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdin.end(block.stdin ?? '');
  return new Promise((res) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), BLOCK_TIMEOUT_MS);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

const blocks = markedBlocks(readFileSync('README.md', 'utf8'));
const v1 = findCliV1();
const clis: { name: string; path: string | undefined; skipReason: string }[] = [
  { name: 'AWS CLI v2 (/usr/bin/aws)', path: '/usr/bin/aws', skipReason: '' },
  { name: `AWS CLI v1 (${v1?.version ?? 'none'})`, path: v1?.path, skipReason: 'no AWS CLI v1 on PATH' },
];
if (!v1) console.log('readme.test.ts: the AWS CLI v1 half is skipped: no AWS CLI v1 on PATH (install one with pip install awscli)');

describe('README shell examples', () => {
  it('marks at least the CLI basics and the custom key store walkthrough', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  for (const cli of clis) {
    describe.skipIf(!cli.path)(cli.name, () => {
      for (const block of blocks) {
        it(
          `runs the block at README.md:${block.line}`,
          async () => {
            const t = await startKmsd();
            const cwd = mkdtempSync(join(tmpdir(), 'kmsd-readme-'));
            temps.push(cwd);
            try {
              const r = await runBlock(block, t.url, cleanEnv(commandDir(cli.path ?? '')), cwd);
              expect(r.code, `stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-2000)}`).toBe(0);
              if (block.prints !== undefined) expect(r.stdout.endsWith(block.prints), r.stdout.slice(-500)).toBe(true);
            } finally {
              await t.close();
            }
          },
          BLOCK_TIMEOUT_MS + 30_000,
        );
      }
    });
  }
});
