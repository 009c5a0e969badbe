/** `kmsd config check <file>`: validate a config file without starting kmsd. */
import { readConfigFile } from './config-file.js';
import { parseOptions, UsageError } from './usage.js';

export const CONFIG_HELP = `Usage: kmsd config check <file>

Validate a kmsd config file (kmsd serve --config) without starting kmsd: JSON syntax (with
line and column), account ids (12 digits), access keys (present, unique across accounts),
subnets and the rest of the file's settings. Prints what the file serves (ids only, never
secrets).

Options:
  -h, --help   Show this help

Exit codes: 0 valid, 1 invalid or unreadable, 2 usage error.
`;

export function configCommand(argv: string[]): void {
  const { values, positionals } = parseOptions(argv, { help: { type: 'boolean', short: 'h' } }, true);
  if (values.help || positionals.length === 0) {
    process.stdout.write(CONFIG_HELP);
    if (!values.help) process.exitCode = 2;
    return;
  }
  const [sub, file, ...extra] = positionals;
  if (sub !== 'check') throw new UsageError(`unknown config command '${sub}' (kmsd config check <file>)`);
  if (file === undefined) throw new UsageError('kmsd config check needs a file');
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const config = readConfigFile(file);
  const keys = config.accounts.reduce((n, a) => n + a.credentials.length, 0);
  process.stdout.write(
    `${file}: OK: ${config.accounts.length} account(s) (${config.accounts.map((a) => a.accountId).join(', ')}), ${keys} access key(s)\n`,
  );
}
