/**
 * Passwords for `kmsd hsm`, kept off the command line (where `ps` and shell history see
 * them). Sources, for an option --X: --X-stdin (standard input, one line), --X-env VAR (an
 * environment variable it names), a prompt without echo when standard input is a terminal,
 * and --X itself, which still works for scripts but warns.
 */
import { UsageError } from './usage.js';

export interface SecretSources {
  /** The option's name without dashes, e.g. "admin-password". */
  option: string;
  inline?: string;
  fromStdin?: boolean;
  envVar?: string;
  /** What the prompt asks for, e.g. "Password for kmsuser". */
  label: string;
  /** A new password: the prompt asks twice. */
  confirm?: boolean;
}

const ETX = '\u0003'; // Ctrl-C
const EOT = '\u0004'; // Ctrl-D
const BACKSPACES = new Set(['\u007f', '\b']);

export async function readSecret(s: SecretSources): Promise<string> {
  const given = [s.inline !== undefined, s.fromStdin === true, s.envVar !== undefined].filter(Boolean).length;
  if (given > 1) throw new UsageError(`give only one of --${s.option}, --${s.option}-stdin and --${s.option}-env`);
  if (s.inline !== undefined) {
    process.stderr.write(
      `kmsd hsm: warning: --${s.option} shows the password to other users (ps) and keeps it in shell history; ` +
        `prefer --${s.option}-stdin, --${s.option}-env <VAR> or the prompt\n`,
    );
    return nonEmpty(s.option, s.inline);
  }
  if (s.envVar !== undefined) {
    const value = process.env[s.envVar];
    if (value === undefined || value === '') throw new UsageError(`--${s.option}-env: environment variable ${s.envVar} is not set`);
    return value;
  }
  if (s.fromStdin) return nonEmpty(s.option, oneLine(s.option, await readAllStdin()));
  if (!process.stdin.isTTY) {
    throw new UsageError(`missing --${s.option}: give --${s.option}-stdin, --${s.option}-env <VAR>, or run on a terminal to be asked`);
  }
  const value = nonEmpty(s.option, await promptHidden(`${s.label}: `));
  if (s.confirm && (await promptHidden(`${s.label} (again): `)) !== value) throw new Error('the two passwords do not match');
  return value;
}

function nonEmpty(option: string, value: string): string {
  if (value === '') throw new UsageError(`--${option}: the password is empty`);
  return value;
}

function oneLine(option: string, text: string): string {
  const line = text.replace(/\r?\n$/, '');
  if (/[\r\n]/.test(line)) throw new UsageError(`--${option}-stdin: expected one line on standard input`);
  return line;
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Typed-ahead input left over from a previous prompt (two lines in one read). */
let typedAhead = '';

/** Reads one line from the terminal in raw mode, so nothing typed is echoed. */
function promptHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  input.setRawMode(true);
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (result: () => void) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      result();
    };
    const onData = (chunk: Buffer | string) => {
      const text = typedAhead + chunk.toString();
      typedAhead = '';
      for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (ch === '\r' || ch === '\n') {
          typedAhead = text.slice(text[i + 1] === '\n' && ch === '\r' ? i + 2 : i + 1);
          return finish(() => resolve(value));
        }
        if (ch === ETX || (ch === EOT && value === '')) return finish(() => reject(new Error('cancelled')));
        if (BACKSPACES.has(ch)) value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
    input.resume();
    if (typedAhead) onData('');
  });
}
