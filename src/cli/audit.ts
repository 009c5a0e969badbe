/** `kmsd audit tail FILE [-n N] [--follow]`: flag parsing only (src/audit/tail.ts does the work). */
import { parseArgs } from 'node:util';
import { tailAudit } from '../audit/tail.js';

const AUDIT_HELP = `Usage: kmsd audit tail FILE [-n N] [--follow]

Prints the last N records (default 10) of an audit log written by kmsd serve --audit-log,
one line each: time, service:action, OK or the error, principal, source IP, resources,
request id. With --follow (-f), keeps printing records as they are appended (Ctrl-C stops).
`;

export async function auditMain(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command !== 'tail') {
    process.stdout.write(AUDIT_HELP);
    if (command !== undefined && command !== '--help' && command !== '-h') process.exitCode = 2;
    return;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    options: { lines: { type: 'string', short: 'n' }, follow: { type: 'boolean', short: 'f' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(AUDIT_HELP);
    return;
  }
  if (positionals.length !== 1) throw new Error('kmsd audit tail needs exactly one FILE');
  const lines = Number(values.lines ?? '10');
  if (!Number.isInteger(lines) || lines < 0) throw new Error(`-n needs a whole number, got ${values.lines}`);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  await tailAudit({
    file: positionals[0],
    lines,
    follow: values.follow ?? false,
    write: (t) => process.stdout.write(t),
    signal: stop.signal,
  });
}
