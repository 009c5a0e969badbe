/**
 * The `kmsd` command. Flag parsing only: everything it does is a library call.
 *   kmsd serve [options]         start the server
 *   kmsd hsm <...>               manage HSM users and keys of an emulated CloudHSM cluster
 *   kmsd audit tail <file>       pretty-print the audit log
 *   kmsd dev-cert [options]      write a development TLS certificate
 *   kmsd config check <file>     validate a config file
 *   kmsd xks-proxy [...]         serve the XKS Proxy API on a PKCS#11 token, manage its keys
 *   kmsd --version
 * Exit codes (usage.ts): 0 ok, 1 failure, 2 usage.
 */
import { EXIT_FAILURE, EXIT_USAGE, kmsdVersion, UsageError } from './usage.js';

const MAIN_HELP = `kmsd — a self-hosted key management service that speaks the AWS KMS API

Usage:
  kmsd serve [options]       Start the server (see kmsd serve --help)
  kmsd hsm <command>         Manage an emulated CloudHSM cluster's users and keys
                             (see kmsd hsm --help)
  kmsd audit tail <file>     Pretty-print the audit log (see kmsd audit --help)
  kmsd dev-cert [options]    Write a development TLS certificate for localhost
                             (see kmsd dev-cert --help)
  kmsd config check <file>   Validate a config file (see kmsd config --help)
  kmsd xks-proxy [command]   Serve the XKS Proxy API v1 with keys in a PKCS#11 token,
                             or manage the token's keys (see kmsd xks-proxy --help)
  kmsd --version, -v         Print the version
  kmsd --help, -h            Show this help

Exit codes: 0 success, 1 failure, 2 usage error (unknown command or option, bad value).
`;

/** Each subcommand, loaded when used (the HSM client and the certificate code cost start-up). */
const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  serve: async (argv) => (await import('./serve.js')).serve(argv),
  hsm: async (argv) => (await import('./hsm.js')).hsmMain(argv),
  audit: async (argv) => (await import('./audit.js')).auditMain(argv),
  'dev-cert': async (argv) => (await import('./dev-cert.js')).devCert(argv),
  config: async (argv) => (await import('./config-check.js')).configCommand(argv),
  'xks-proxy': async (argv) => (await import('./xks-proxy.js')).xksProxyMain(argv),
};

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(MAIN_HELP);
    return;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`kmsd ${kmsdVersion()}\n`);
    return;
  }
  const run = Object.prototype.hasOwnProperty.call(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    process.stderr.write(`kmsd: unknown command '${command}'\n\n${MAIN_HELP}`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  try {
    await run(rest);
  } catch (err) {
    const usage = err instanceof UsageError;
    const hint = usage ? ` (see kmsd ${command} --help)` : '';
    process.stderr.write(`kmsd: ${err instanceof Error ? err.message : String(err)}${hint}\n`);
    process.exitCode = usage ? EXIT_USAGE : EXIT_FAILURE;
  }
}
