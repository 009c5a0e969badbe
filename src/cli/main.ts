/**
 * The `kmsd` command. Flag parsing only: everything it does is a library call.
 *   kmsd serve [options]      start the server
 *   kmsd hsm <...>            manage HSM users and keys of an emulated CloudHSM cluster
 *   kmsd audit tail <file>    pretty-print the audit log
 */
import { parseArgs } from 'node:util';
import { createKmsd } from '../server.js';
import { DEV_ACCOUNT, loadConfigFile } from '../config.js';

const MAIN_HELP = `kmsd — a self-hosted key management service that speaks the AWS KMS API

Usage:
  kmsd serve [options]     Start the server (see kmsd serve --help)
  kmsd hsm <command>       Manage an emulated CloudHSM cluster's users and keys
                           (see kmsd hsm --help)
  kmsd audit tail <file>   Pretty-print the audit log (see kmsd audit --help)
  kmsd --help              Show this help
`;

const SERVE_HELP = `Usage: kmsd serve [options]

Options (each also settable as an environment variable):
  --host <addr>        Address to listen on            [KMSD_HOST, default 127.0.0.1]
  --port <n>           Port; 0 picks a free port        [KMSD_PORT, default 4599]
  --data-dir <dir>     SQLite database and root key     [KMSD_DATA_DIR, default ./data]
  --config <file>      JSON config: accounts (root keys, IAM users and roles),
                       subnets                          [KMSD_CONFIG]
  --audit-log <file>   Append one JSON record per API call (CloudTrail-style)
                                                        [KMSD_AUDIT_LOG]
  --in-memory          Keep everything in memory; write nothing to disk
                                                        [KMSD_IN_MEMORY=1]
  --test-hooks         Enable POST /_kmsd/test/clock to move the service clock
                       (tests only, never in production) [KMSD_TEST_HOOKS=1]
  --enforce-request-quotas
                       Answer ThrottlingException beyond AWS KMS's request
                       quotas (config "quotas.requestsPerSecond", AWS's
                       defaults otherwise)        [KMSD_ENFORCE_REQUEST_QUOTAS=1]
  -h, --help           Show this help

The service root key comes from KMSD_ROOT_KEY (base64 of 32 bytes) or from
<data-dir>/root-key, created with mode 0600 on first start.
Without --config, kmsd serves one development account, ${DEV_ACCOUNT.accountId},
with access key "${DEV_ACCOUNT.accessKeyId}" and secret "${DEV_ACCOUNT.secretAccessKey}".
`;

function envFlag(name: string): boolean {
  const v = process.env[name];
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      'audit-log': { type: 'string' },
      'in-memory': { type: 'boolean' },
      'test-hooks': { type: 'boolean' },
      'enforce-request-quotas': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  const portText = values.port ?? process.env.KMSD_PORT ?? '4599';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port ${portText}`);
  const configFile = values.config ?? process.env.KMSD_CONFIG;
  const config = configFile ? loadConfigFile(configFile) : undefined;

  const kmsd = createKmsd({
    host: values.host ?? process.env.KMSD_HOST ?? '127.0.0.1',
    port,
    dataDir: values['data-dir'] ?? process.env.KMSD_DATA_DIR ?? './data',
    inMemory: values['in-memory'] ?? envFlag('KMSD_IN_MEMORY'),
    testHooks: values['test-hooks'] ?? envFlag('KMSD_TEST_HOOKS'),
    enforceRequestQuotas: values['enforce-request-quotas'] ?? envFlag('KMSD_ENFORCE_REQUEST_QUOTAS'),
    config,
    auditLog: values['audit-log'] ?? (process.env.KMSD_AUDIT_LOG || undefined),
  });
  const url = await kmsd.listen();
  if (!config) {
    process.stdout.write(
      `No --config given: serving the development account ${DEV_ACCOUNT.accountId} ` +
        `(access key "${DEV_ACCOUNT.accessKeyId}", secret "${DEV_ACCOUNT.secretAccessKey}").\n`,
    );
  }
  process.stdout.write(`kmsd listening on ${url}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal} received; finishing requests in flight\n`);
    kmsd.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'serve') return serve(rest);
  if (command === 'audit') {
    const { auditMain } = await import('./audit.js');
    return auditMain(rest);
  }
  if (command === 'hsm') {
    const { hsmMain } = await import('./hsm.js');
    return hsmMain(rest);
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(MAIN_HELP);
    return;
  }
  process.stderr.write(`kmsd: unknown command '${command}'\n\n${MAIN_HELP}`);
  process.exitCode = 2;
}
