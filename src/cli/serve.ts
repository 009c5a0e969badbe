/**
 * `kmsd serve`: start the server. Flags and KMSD_* variables are read here; everything else
 * is createKmsd's.
 *
 * Safe defaults: without --config kmsd serves the development account (test/test), which
 * anyone may know, so it does so only on a loopback address unless --dev says otherwise.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { createKmsd, hsmPasswordCostProblem, takeRootKeyFromEnv } from '../server.js';
import { isLoopbackHost } from '../server/loopback.js';
import { prepareStore, redact } from '../server/store-choice.js';
import type { TlsMaterial } from '../server/listener.js';
import { DEV_ACCOUNT } from '../config.js';
import type { KmsdConfig } from '../config.js';
import { readConfigFile } from './config-file.js';
import { envFlag, kmsdVersion, parseOptions, UsageError } from './usage.js';
import { LOG_LEVELS } from '../server/logger.js';
import type { LoggerLevel } from '../server/logger.js';
import { isWorker, parseWorkers, reportListening, runPrimary } from './workers.js';

export const SERVE_HELP = `Usage: kmsd serve [options]

Start kmsd: the AWS KMS and CloudHSM V2 APIs and the web console, on one port.

Options (each also settable as an environment variable):
  --host <addr>           Address to listen on            [KMSD_HOST, default 127.0.0.1]
  --port <n>              Port; 0 picks a free port        [KMSD_PORT, default 4599]
  --data-dir <dir>        SQLite database and root key     [KMSD_DATA_DIR, default ./data]
  --store <location>      Where kmsd keeps its state instead of --data-dir:
                          postgres://user:pass@host:5432/db (several kmsd nodes
                          may share it) or sqlite:<file>   [KMSD_STORE]
  --root-key-file <file>  Read the root key (base64 of 32 bytes) from this file
                                                           [KMSD_ROOT_KEY_FILE]
  --config <file>         JSON config: accounts (root keys, IAM users and roles),
                          subnets, quotas                  [KMSD_CONFIG]
                          (check one with: kmsd config check <file>)
  --audit-log <file>      Append one JSON record per API call (CloudTrail-style)
                                                           [KMSD_AUDIT_LOG]
  --enforce-request-quotas
                          Answer ThrottlingException beyond AWS KMS's request
                          quotas (config "quotas.requestsPerSecond", AWS's
                          defaults otherwise)   [KMSD_ENFORCE_REQUEST_QUOTAS=1]
  --metrics               Serve GET /metrics (Prometheus text format) without
                          authentication; counts cover every account, so keep
                          it reachable by the scraper only      [KMSD_METRICS=1]
  --workers <n>           Processes answering on the one port (node:cluster), on
                          one store: a number, or auto for one per CPU
                                                  [KMSD_WORKERS, default 1]
  --log-level <level>     debug (adds a line per API request), info, warn, error
                          or silent; JSON lines on stderr [KMSD_LOG_LEVEL, default info]
  --request-timeout <s>   A request (headers and body) must arrive within this
                          many seconds            [KMSD_REQUEST_TIMEOUT, default 30]
  --headers-timeout <s>   ... and its headers within this [KMSD_HEADERS_TIMEOUT, default 20]
  --keep-alive-timeout <s>
                          Idle keep-alive connections close after this
                                                  [KMSD_KEEP_ALIVE_TIMEOUT, default 65]
  --max-connections <n>   Connections beyond this are closed at once
                                                  [KMSD_MAX_CONNECTIONS, default 10000]
  --hsm-password-cost <n> scrypt cost (log2 N, 14-20) of the emulated HSMs' password
                          hashes; below 17 only for test suites
                                                  [KMSD_HSM_PASSWORD_COST, default 17]
  --tls-cert <file>       Serve HTTPS with this PEM certificate (chain) [KMSD_TLS_CERT]
  --tls-key <file>        ... and this PEM private key     [KMSD_TLS_KEY]
                          (kmsd dev-cert makes a pair for localhost)
  --allowed-hosts <list>  Comma-separated Host names/addresses answered; others get
                          HTTP 400 (DNS-rebinding protection). "*" allows any.
                          Default: the listen address (every interface address and
                          the host name on 0.0.0.0), localhost, 127.0.0.1, ::1
                                                           [KMSD_ALLOWED_HOSTS]
  --dev                   Serve the development account on a non-loopback --host
                          (anyone who can reach kmsd can then use it) [KMSD_DEV=1]
  --in-memory             Keep everything in memory; write nothing to disk
                                                           [KMSD_IN_MEMORY=1]
  --test-hooks            Enable POST /_kmsd/test/clock to move the service clock
                          (tests only, never in production; loopback --host only;
                          calls send the X-Kmsd-Test-Token printed at start)
                                                           [KMSD_TEST_HOOKS=1]
  -h, --help              Show this help

The service root key comes from KMSD_ROOT_KEY (base64 of 32 bytes), --root-key-file, or
<data-dir>/root-key, created with mode 0600 on first start (the directory 0700). With a
PostgreSQL store it must be given, the same on every node, and kmsd refuses to start
with a key other than the one the database was created with.
Without --config, kmsd serves one development account, ${DEV_ACCOUNT.accountId},
with access key "${DEV_ACCOUNT.accessKeyId}" and secret "${DEV_ACCOUNT.secretAccessKey}", and only on a loopback
address (127.0.0.1, ::1, localhost) unless --dev is given.

Exit codes: 0 stopped cleanly, 1 failed to start, 2 usage error.
`;

const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

function readTls(certFile: string | undefined, keyFile: string | undefined): TlsMaterial | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new UsageError('--tls-cert and --tls-key go together: give both or neither');
  const read = (what: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const tls = { cert: read('certificate', certFile), key: read('key', keyFile) };
  try {
    // Fails on a malformed PEM or a key that does not belong to the certificate.
    createSecureContext(tls);
  } catch (err) {
    throw new Error(`cannot use ${certFile} with ${keyFile}: ${(err as Error).message}`);
  }
  return tls;
}

function isLogLevel(value: string): value is LoggerLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

function listOption(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new UsageError('--allowed-hosts needs at least one name');
  return items;
}

/** A positive number of seconds, in milliseconds; undefined keeps the default. */
function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag} needs a positive number of seconds, not ${value}`);
  return Math.round(n * 1000);
}

/** A positive whole number; undefined keeps the default. */
function count(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new UsageError(`${flag} needs a positive whole number, not ${value}`);
  return Number(value);
}

/** What kmsd serves, printed at start: where data lives, TLS, accounts (ids only), console. */
function startBanner(o: {
  url: string;
  dataDir?: string;
  store?: string;
  rootKeyFromEnv: boolean;
  tlsCert?: string;
  config?: KmsdConfig;
  workers: number;
}): string {
  const data = o.store
    ? `Data: ${redact(o.store)}`
    : o.dataDir
      ? `Data: ${resolve(o.dataDir)} (database kmsd.sqlite; root key ${o.rootKeyFromEnv ? 'from KMSD_ROOT_KEY' : 'root-key'})`
      : 'Data: in memory only (nothing is written to disk; all of it is gone when kmsd stops)';
  const tls = o.tlsCert ? `TLS: on (certificate ${resolve(o.tlsCert)})` : 'TLS: off (plain HTTP; see --tls-cert and kmsd dev-cert)';
  const accounts = o.config
    ? `Accounts: ${o.config.accounts.map((a) => a.accountId).join(', ')}`
    : `No --config given: serving the development account ${DEV_ACCOUNT.accountId} ` +
      `(access key "${DEV_ACCOUNT.accessKeyId}", secret "${DEV_ACCOUNT.secretAccessKey}").`;
  // A wildcard address is not one a browser can open; localhost is, and the dev cert covers it.
  const u = new URL(o.url);
  if (WILDCARD.has(u.hostname)) u.hostname = 'localhost';
  const lines = [`kmsd ${kmsdVersion()}`, data, tls, accounts, `Console: ${u.origin}/console`];
  if (o.workers > 1) lines.push(`Workers: ${o.workers} processes on one port`);
  return lines.join('\n') + '\n';
}

function hsmPasswordCostOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const log2N = Number(text);
  const problem = /^\d+$/.test(text.trim()) ? hsmPasswordCostProblem(log2N) : 'must be an integer';
  if (problem) throw new UsageError(`invalid --hsm-password-cost ${text}: it ${problem}`);
  return log2N;
}

export async function serve(argv: string[]): Promise<void> {
  const { values } = parseOptions(argv, {
    host: { type: 'string' },
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    store: { type: 'string' },
    'root-key-file': { type: 'string' },
    config: { type: 'string' },
    'audit-log': { type: 'string' },
    'enforce-request-quotas': { type: 'boolean' },
    metrics: { type: 'boolean' },
    'log-level': { type: 'string' },
    'request-timeout': { type: 'string' },
    'headers-timeout': { type: 'string' },
    'keep-alive-timeout': { type: 'string' },
    'max-connections': { type: 'string' },
    'hsm-password-cost': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'allowed-hosts': { type: 'string' },
    dev: { type: 'boolean' },
    'in-memory': { type: 'boolean' },
    'test-hooks': { type: 'boolean' },
    workers: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  const portText = values.port ?? process.env.KMSD_PORT ?? '4599';
  const port = Number(portText);
  if (!/^\d+$/.test(portText.trim()) || !Number.isInteger(port) || port > 65535) throw new UsageError(`invalid port ${portText}`);
  const host = values.host ?? process.env.KMSD_HOST ?? '127.0.0.1';
  const dev = values.dev ?? envFlag('KMSD_DEV');
  const configFile = values.config ?? process.env.KMSD_CONFIG;
  if (!configFile && !isLoopbackHost(host) && !dev) {
    throw new UsageError(
      `refusing to start: without --config kmsd serves the development account ${DEV_ACCOUNT.accountId}, ` +
        `whose access key "${DEV_ACCOUNT.accessKeyId}" and secret "${DEV_ACCOUNT.secretAccessKey}" everyone knows, and --host ${host} ` +
        `makes it reachable from other machines. Give --config <file> with your own accounts, ` +
        `or --dev to serve the development account there anyway.`,
    );
  }
  const allowedHosts = listOption(values['allowed-hosts'] ?? process.env.KMSD_ALLOWED_HOSTS);
  const tlsCert = values['tls-cert'] ?? process.env.KMSD_TLS_CERT;
  const tls = readTls(tlsCert, values['tls-key'] ?? process.env.KMSD_TLS_KEY);
  const config = configFile ? readConfigFile(configFile) : undefined;
  const inMemory = values['in-memory'] ?? envFlag('KMSD_IN_MEMORY');
  const dataDir = values['data-dir'] ?? process.env.KMSD_DATA_DIR ?? './data';
  const logLevel = values['log-level'] ?? process.env.KMSD_LOG_LEVEL ?? 'info';
  if (!isLogLevel(logLevel)) throw new UsageError(`invalid log level ${logLevel}; use one of ${LOG_LEVELS.join(', ')}`);
  const store = values.store ?? (process.env.KMSD_STORE || undefined);
  const rootKeyFile = values['root-key-file'] ?? (process.env.KMSD_ROOT_KEY_FILE || undefined);
  const testHooks = values['test-hooks'] ?? envFlag('KMSD_TEST_HOOKS');
  const workers = parseWorkers(values.workers ?? (process.env.KMSD_WORKERS || undefined));
  const banner = (url: string) =>
    startBanner({
      url,
      store,
      dataDir: inMemory ? undefined : dataDir,
      rootKeyFromEnv: rootKey !== undefined,
      tlsCert: tls ? tlsCert : undefined,
      config,
      workers,
    });

  const rootKey = takeRootKeyFromEnv();
  if (workers > 1 && !isWorker()) {
    // Each worker would keep its own memory, and move its own clock.
    if (inMemory) throw new UsageError('--workers needs a store the workers share: not with --in-memory');
    if (testHooks) throw new UsageError("--test-hooks moves one process's clock: not with --workers");
    // Once, before forking: workers starting together then find it all in place.
    const warnings = await prepareStore({ store, dataDir, rootKey, rootKeyFile });
    for (const warning of warnings) process.stderr.write(`kmsd: warning: ${warning}\n`);
    const code = await runPrimary({
      workers,
      env: rootKey === undefined ? {} : { KMSD_ROOT_KEY: rootKey },
      onReady: (url) => process.stdout.write(`${banner(url)}kmsd listening on ${url}\n`),
    });
    process.exitCode = code;
    return;
  }
  const kmsd = createKmsd({
    rootKey,
    host,
    port,
    dataDir,
    inMemory,
    store,
    rootKeyFile,
    testHooks,
    config,
    auditLog: values['audit-log'] ?? (process.env.KMSD_AUDIT_LOG || undefined),
    enforceRequestQuotas: values['enforce-request-quotas'] ?? envFlag('KMSD_ENFORCE_REQUEST_QUOTAS'),
    metrics: values.metrics ?? envFlag('KMSD_METRICS'),
    logLevel,
    tls,
    allowedHosts,
    hsmPasswordCost: hsmPasswordCostOption(values['hsm-password-cost'] ?? (process.env.KMSD_HSM_PASSWORD_COST || undefined)),
    onServerError: (err) => {
      process.stderr.write(`kmsd: the server failed (${err.message}); stopping\n`);
      // Requests in flight still finish; then the exit code says it did not stop by request.
      void kmsd.close().finally(() => process.exit(1));
    },
    limits: {
      requestTimeoutMs: seconds('--request-timeout', values['request-timeout'] ?? process.env.KMSD_REQUEST_TIMEOUT),
      headersTimeoutMs: seconds('--headers-timeout', values['headers-timeout'] ?? process.env.KMSD_HEADERS_TIMEOUT),
      keepAliveTimeoutMs: seconds('--keep-alive-timeout', values['keep-alive-timeout'] ?? process.env.KMSD_KEEP_ALIVE_TIMEOUT),
      maxConnections: count('--max-connections', values['max-connections'] ?? process.env.KMSD_MAX_CONNECTIONS),
    },
  });
  // A worker's primary has printed them already.
  if (!isWorker()) for (const warning of kmsd.warnings) process.stderr.write(`kmsd: warning: ${warning}\n`);
  if (!config && !isLoopbackHost(host) && !isWorker()) {
    process.stderr.write(`kmsd: warning: --dev: the development account is served on ${host}, to anyone who can reach it\n`);
  }
  const url = await kmsd.listen();
  // Handlers first: whoever reads the line below may signal at once.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (!isWorker()) process.stdout.write(`${signal} received; finishing requests in flight\n`);
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
  if (isWorker()) {
    // A worker whose primary is gone (killed) stops too, rather than serve unsupervised.
    process.on('disconnect', () => stop('disconnect'));
    reportListening(url);
    return;
  }
  process.stdout.write(banner(url));
  if (kmsd.testHooksToken) process.stdout.write(`Test hooks: on; send header X-Kmsd-Test-Token: ${kmsd.testHooksToken}\n`);
  process.stdout.write(`kmsd listening on ${url}\n`);
}
