/**
 * `kmsd xks-proxy`: serve the XKS Proxy API v1 with keys in a PKCS#11 token, and manage the
 * token's keys. Settings come from flags, then KMSD_XKS_* variables, then a JSON config file
 * (--config), then defaults. Secrets (PIN, credential secrets) are read from files or the
 * environment, never from flags, where any local user could read them in the process list.
 */
import { readFileSync } from 'node:fs';
import { createLogger, LOG_LEVELS } from '../server/logger.js';
import type { LoggerLevel } from '../server/logger.js';
import { Pkcs11Token } from '../keystores/pkcs11/pkcs11-token.js';
import { createXksProxyServer } from '../xks-proxy/server.js';
import { ACCESS_KEY_ID_PATTERN, newXksCredential, SECRET_PATTERN } from '../xks-proxy/credentials.js';
import type { XksProxyCredential } from '../xks-proxy/credentials.js';
import { parseAuthorizationRules } from '../xks-proxy/authorization.js';
import type { XksAuthorizationRule } from '../xks-proxy/authorization.js';
import { DEFAULT_MAX_IN_FLIGHT } from '../xks-proxy/request-limiter.js';
import type { RequestLimits } from '../xks-proxy/request-limiter.js';
import { parseOptions, UsageError } from './usage.js';

export const XKS_PROXY_HELP = `Usage:
  kmsd xks-proxy [serve] [options]          Serve the XKS Proxy API v1 over HTTPS
  kmsd xks-proxy create-key --label <label> [token options]
                                            Generate an AES-256 key in the token
  kmsd xks-proxy list-keys [token options]  List the labels of the token's secret keys
  kmsd xks-proxy new-credential             Print a fresh proxy authentication credential

An external key store's XksKeyId is the label of a key in the token.

Serve options (each also settable as an environment variable, or in the --config file
under the camelCase name given in brackets):
  --host <addr>             Listen address    [KMSD_XKS_HOST, host; default 127.0.0.1]
  --port <n>                Port, 0 for a free one  [KMSD_XKS_PORT, port; default 8443]
  --tls-cert <file>         PEM certificate (chain) naming the proxy's DNS name
                                              [KMSD_XKS_TLS_CERT, tlsCert; required]
  --tls-key <file>          Its PEM private key [KMSD_XKS_TLS_KEY, tlsKey; required]
  --client-ca <file>        Require client certificates issued by this CA (mTLS)
                                              [KMSD_XKS_CLIENT_CA, clientCa]
  --uri-path <path>         The key store's XksProxyUriPath, [/prefix]/kms/xks/v1
                                   [KMSD_XKS_URI_PATH, uriPath; default /kms/xks/v1]
  --credentials-file <file> JSON {"accessKeyId", "secretAccessKey"} (as new-credential
                            prints it) or an array of them, for rotation
                                     [KMSD_XKS_CREDENTIALS_FILE, credentialsFile]
                            or KMSD_XKS_CREDENTIALS="ID:SECRET[,ID:SECRET...]"
  --authorization-file <file>
                            JSON list of allow rules for key APIs (secondary
                            authorization; none: everything allowed), each with any of
                            accessKeyIds, xksKeyIds, kmsKeyArns, awsPrincipalArns,
                            kmsOperations (lists; * matches any characters)
                       [KMSD_XKS_AUTHORIZATION_FILE, authorizationFile; or the rules
                                                  inline as "authorization" in --config]
  --max-in-flight <n>       Requests handled at once; more get 429 ThrottlingException
                                   [KMSD_XKS_MAX_IN_FLIGHT, maxInFlight; default 256]
  --max-requests-per-second <n>
                            Per-second cap, 429 beyond it
                      [KMSD_XKS_MAX_REQUESTS_PER_SECOND, maxRequestsPerSecond; no cap]
  --log-level <level>       debug (a line per request), info, warn, error, silent
                                           [KMSD_XKS_LOG_LEVEL, logLevel; default info]
  --config <file>           JSON file with any of the settings above and below
                                                                 [KMSD_XKS_CONFIG]
Token options:
  --pkcs11-module <file>    PKCS#11 library        [KMSD_XKS_PKCS11_MODULE, pkcs11Module;
                                           default /usr/lib/softhsm/libsofthsm2.so]
  --token-label <label>     The token's label [KMSD_XKS_TOKEN_LABEL, tokenLabel; required]
  --pin-file <file>         File holding the user PIN    [KMSD_XKS_PIN_FILE, pinFile]
                            or KMSD_XKS_PIN=<pin>
  -h, --help                Show this help

SoftHSM2 reads its token directory from the file named by SOFTHSM2_CONF.
`;

const DEFAULT_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'client-ca': { type: 'string' },
  'uri-path': { type: 'string' },
  'credentials-file': { type: 'string' },
  'authorization-file': { type: 'string' },
  'max-in-flight': { type: 'string' },
  'max-requests-per-second': { type: 'string' },
  'log-level': { type: 'string' },
  config: { type: 'string' },
  'pkcs11-module': { type: 'string' },
  'token-label': { type: 'string' },
  'pin-file': { type: 'string' },
  label: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseOptions<typeof OPTIONS>>['values'];

export async function xksProxyMain(argv: string[]): Promise<void> {
  const { values, positionals } = parseOptions(argv, OPTIONS, true);
  const command = positionals[0] ?? 'serve';
  if (values.help) {
    process.stdout.write(XKS_PROXY_HELP);
    return;
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  const settings = new Settings(values);
  switch (command) {
    case 'serve':
      return serveProxy(settings);
    case 'create-key':
      return createKey(settings, values.label);
    case 'list-keys':
      return listKeys(settings);
    case 'new-credential':
      process.stdout.write(`${JSON.stringify(newXksCredential(), null, 2)}\n`);
      return;
    default:
      throw new UsageError(`unknown xks-proxy command '${command}'`);
  }
}

/** flag, then KMSD_XKS_* variable, then the config file. */
class Settings {
  private readonly file: Record<string, unknown>;

  constructor(private readonly values: Values) {
    const path = values.config ?? process.env.KMSD_XKS_CONFIG;
    this.file = path ? readJsonObject(path) : {};
  }

  get(flag: keyof Values & string, env: string, key: string): string | undefined {
    const fromFlag = this.values[flag];
    if (typeof fromFlag === 'string') return fromFlag;
    const fromEnv = process.env[env];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const fromFile = this.file[key];
    if (fromFile === undefined) return undefined;
    if (typeof fromFile !== 'string' && typeof fromFile !== 'number') throw new UsageError(`config: "${key}" must be a string`);
    return String(fromFile);
  }

  required(flag: keyof Values & string, env: string, key: string): string {
    const value = this.get(flag, env, key);
    if (value === undefined) throw new UsageError(`--${flag} is required`);
    return value;
  }

  /** Inline credentials are allowed in the config file only (a file the operator protects). */
  fileCredentials(): unknown {
    return this.file.credentials;
  }

  fileAuthorization(): unknown {
    return this.file.authorization;
  }
}

function openToken(settings: Settings): Pkcs11Token {
  const pinFile = settings.get('pin-file', 'KMSD_XKS_PIN_FILE', 'pinFile');
  const pin = pinFile ? readText(pinFile).trim() : process.env.KMSD_XKS_PIN;
  if (!pin) throw new UsageError('the token PIN is required: --pin-file <file> or KMSD_XKS_PIN');
  return Pkcs11Token.open({
    modulePath: settings.get('pkcs11-module', 'KMSD_XKS_PKCS11_MODULE', 'pkcs11Module') ?? DEFAULT_MODULE,
    tokenLabel: settings.required('token-label', 'KMSD_XKS_TOKEN_LABEL', 'tokenLabel'),
    pin,
  });
}

async function createKey(settings: Settings, label: string | undefined): Promise<void> {
  if (!label) throw new UsageError('--label is required');
  // The same alphabet as XksKeyId (xks-proxy.md §2), so the label can be used as one.
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(label)) throw new UsageError('--label must be 1-128 characters of A-Z a-z 0-9 . _ -');
  const token = openToken(settings);
  try {
    await token.generateAesKey(label);
  } finally {
    token.close();
  }
  process.stdout.write(`Created AES-256 key '${label}' (use it as XksKeyId)\n`);
}

async function listKeys(settings: Settings): Promise<void> {
  const token = openToken(settings);
  try {
    for (const label of await token.listKeys()) process.stdout.write(`${label}\n`);
  } finally {
    token.close();
  }
}

async function serveProxy(settings: Settings): Promise<void> {
  const uriPath = settings.get('uri-path', 'KMSD_XKS_URI_PATH', 'uriPath') ?? '/kms/xks/v1';
  // XksProxyUriPath's rule (xks-proxy.md §2).
  if (uriPath.length > 128 || !/^(\/[A-Za-z0-9_-]+)*\/kms\/xks\/v1$/.test(uriPath)) {
    throw new UsageError('--uri-path must be [/prefix]/kms/xks/v1 (letters, digits, _ and -)');
  }
  const credentials = readCredentials(settings);
  const port = Number(settings.get('port', 'KMSD_XKS_PORT', 'port') ?? '8443');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0-65535');
  const host = settings.get('host', 'KMSD_XKS_HOST', 'host') ?? '127.0.0.1';
  const level = settings.get('log-level', 'KMSD_XKS_LOG_LEVEL', 'logLevel') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const clientCa = settings.get('client-ca', 'KMSD_XKS_CLIENT_CA', 'clientCa');
  const tls = {
    cert: readText(settings.required('tls-cert', 'KMSD_XKS_TLS_CERT', 'tlsCert')),
    key: readText(settings.required('tls-key', 'KMSD_XKS_TLS_KEY', 'tlsKey')),
    clientCa: clientCa ? readText(clientCa) : undefined,
  };
  const authorization = readAuthorization(settings);
  const limits = readLimits(settings);
  const token = openToken(settings);
  // Refuse to start on a token that cannot encrypt; this also makes the first health check
  // KMS sends (250 ms budget) as quick as the rest (the test key exists from now on).
  try {
    await token.health();
  } catch (err) {
    token.close();
    throw new Error(`the token failed its self-test: ${(err as Error).message}`);
  }
  const server = createXksProxyServer({
    uriPath,
    credentials,
    keys: token,
    tls,
    authorization,
    limits,
    log: createLogger(level as LoggerLevel),
  });
  let address;
  try {
    address = await server.listen(port, host);
  } catch (err) {
    token.close();
    throw err;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal} received; stopping\n`);
    void server.close().finally(() => {
      token.close();
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  process.stdout.write(
    `kmsd xks-proxy: ${credentials.length} credential(s), ${clientCa ? 'client certificates required' : 'no client certificates'}, ` +
      `${authorization.length ? `${authorization.length} authorization rule(s)` : 'no authorization rules'}\n` +
      `kmsd xks-proxy listening on https://${shownHost}:${address.port}${uriPath}\n`,
  );
}

function readCredentials(settings: Settings): XksProxyCredential[] {
  const file = settings.get('credentials-file', 'KMSD_XKS_CREDENTIALS_FILE', 'credentialsFile');
  let list: unknown;
  if (file) {
    list = readJsonValue(file);
    // One credential, as `new-credential` prints it, or a list of them.
    if (typeof list === 'object' && list !== null && !Array.isArray(list)) list = [list];
  } else if (process.env.KMSD_XKS_CREDENTIALS) {
    list = process.env.KMSD_XKS_CREDENTIALS.split(',').map((pair) => {
      const colon = pair.indexOf(':');
      return { accessKeyId: pair.slice(0, colon), secretAccessKey: pair.slice(colon + 1) };
    });
  } else list = settings.fileCredentials();
  if (!Array.isArray(list) || list.length === 0) {
    throw new UsageError('at least one credential is required: --credentials-file, KMSD_XKS_CREDENTIALS or "credentials" in --config');
  }
  return list.map((entry: unknown, i) => {
    const { accessKeyId, secretAccessKey } = (entry ?? {}) as Record<string, unknown>;
    if (typeof accessKeyId !== 'string' || !ACCESS_KEY_ID_PATTERN.test(accessKeyId)) {
      throw new UsageError(`credential ${i + 1}: accessKeyId must be 20-30 characters of A-Z and 2-7`);
    }
    if (typeof secretAccessKey !== 'string' || !SECRET_PATTERN.test(secretAccessKey)) {
      throw new UsageError(`credential ${i + 1}: secretAccessKey must be 43-64 characters of A-Z a-z 0-9 + / =`);
    }
    return { accessKeyId, secretAccessKey };
  });
}

function readAuthorization(settings: Settings): XksAuthorizationRule[] {
  const file = settings.get('authorization-file', 'KMSD_XKS_AUTHORIZATION_FILE', 'authorizationFile');
  const rules = file ? readJsonValue(file) : settings.fileAuthorization();
  if (rules === undefined) return [];
  try {
    return parseAuthorizationRules(rules);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function readLimits(settings: Settings): RequestLimits {
  const count = (flag: 'max-in-flight' | 'max-requests-per-second', env: string, key: string) => {
    const text = settings.get(flag, env, key);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} must be a whole number of at least 1`);
    return n;
  };
  return {
    maxInFlight: count('max-in-flight', 'KMSD_XKS_MAX_IN_FLIGHT', 'maxInFlight') ?? DEFAULT_MAX_IN_FLIGHT,
    maxRequestsPerSecond: count('max-requests-per-second', 'KMSD_XKS_MAX_REQUESTS_PER_SECOND', 'maxRequestsPerSecond'),
  };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function readJsonValue(path: string): unknown {
  try {
    return JSON.parse(readText(path));
  } catch (err) {
    if (err instanceof SyntaxError) throw new Error(`${path} is not valid JSON`);
    throw err;
  }
}

function readJsonObject(path: string): Record<string, unknown> {
  const value = readJsonValue(path);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${path} must hold a JSON object`);
  return value as Record<string, unknown>;
}
