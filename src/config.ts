/**
 * kmsd's configuration file (--config / KMSD_CONFIG):
 *
 *   {
 *     "accounts": [{ "accountId": "123456789012",
 *                    "credentials": [{ "accessKeyId": "...", "secretAccessKey": "..." }],
 *                    "users": [...], "roles": [...] }],       (IAM identities: iam-config.ts)
 *     "subnets": { "subnet-0123456789abcdef0": "us-east-1b" },
 *     "cloudhsm": { "transitionMs": 500 },
 *     "xksProxy": { "caFile": "/etc/kmsd/xks-ca.pem",
 *                   "endpoints": { "https://xks.example.com": "https://10.0.0.5:8443" },
 *                   "healthCheckSeconds": 60 },
 *     "pkcs11Tokens": [{ "name": "lab-token", "module": "/usr/lib/softhsm/libsofthsm2.so",
 *                        "tokenLabel": "kmsd", "pinFile": "/etc/kmsd/token-pin" }],
 *     "quotas": { "keysPerRegion": 100000, "aliasesPerKey": 50, "grantsPerKey": 50000,
 *                 "customKeyStoresPerRegion": 10, "keyPolicyBytes": 32768, "tagsPerKey": 50,
 *                 "requestsPerSecond": { "cryptographicSymmetric": 10000, "cryptographicRsa": 500,
 *                                        "cryptographicEcc": 300, "cloudHsmKeyStore": 1800,
 *                                        "operations": { "DescribeKey": 2000 } } }
 *   }
 *
 * Every quota is optional (AWS's default otherwise). Request quotas apply only with
 * `kmsd serve --enforce-request-quotas`.
 *
 * Without a file kmsd serves one development account, 111122223333, with key test/test.
 */
import { readFileSync } from 'node:fs';
import { checkAccessKey, checkIamIdentities, checkPolicyDocument } from './iam-config.js';
import type { Pkcs11TokenConfig } from './keystores/pkcs11-key-backend.js';
import type { AccessKeyConfig, PolicyChecker, RoleConfig, UserConfig } from './iam-config.js';

export interface AccountConfig {
  accountId: string;
  /** The account's root user's access keys. */
  credentials: AccessKeyConfig[];
  users?: UserConfig[];
  roles?: RoleConfig[];
}
import { KMS_OPERATIONS } from './generated/kms.js';
import type { KmsOperationName } from './generated/kms.js';
import type { RequestRateQuotas, ResourceQuotas } from './kms/quotas.js';
import { CRYPTOGRAPHIC_OPERATIONS, DEFAULT_RESOURCE_QUOTAS } from './kms/quotas.js';

/** The `quotas` object of the configuration file: AWS KMS quotas, each optional. */
export type QuotaConfig = Partial<ResourceQuotas> & { requestsPerSecond?: Partial<RequestRateQuotas> };

export interface KmsdConfig {
  accounts: AccountConfig[];
  /** Subnet id -> Availability Zone, for CloudHSM clusters (kmsd has no EC2). */
  subnets?: Record<string, string>;
  cloudhsm?: {
    /** How long CloudHSM transitional states (CREATE_IN_PROGRESS, ...) last; 0 for instant. */
    transitionMs?: number;
  };
  quotas?: QuotaConfig;
  /** How kmsd reaches external key store proxies (keystores/xks-proxy-client.ts). */
  xksProxy?: {
    /** PEM file of CA certificates trusted for proxy TLS, besides the public CAs. */
    caFile?: string;
    /** XksProxyUriEndpoint -> the URL to send its requests to instead (SigV4 keeps the endpoint's host). */
    endpoints?: Record<string, string>;
    /** Seconds between health checks of each connected external key store's proxy (1..86400; default 60). */
    healthCheckSeconds?: number;
  };
  /**
   * PKCS#11 tokens a CloudHSM cluster may keep its KMS keys in, named by the cluster's
   * CreateCluster tag `kmsd:pkcs11-token` (keystores/pkcs11-key-backend.ts).
   */
  pkcs11Tokens?: Pkcs11TokenConfig[];
}

export const DEV_ACCOUNT = { accountId: '111122223333', accessKeyId: 'test', secretAccessKey: 'test' };

export function defaultConfig(): KmsdConfig {
  return {
    accounts: [
      {
        accountId: DEV_ACCOUNT.accountId,
        credentials: [{ accessKeyId: DEV_ACCOUNT.accessKeyId, secretAccessKey: DEV_ACCOUNT.secretAccessKey }],
      },
    ],
  };
}

export function loadConfigFile(path: string, checkPolicy: PolicyChecker = checkPolicyDocument): KmsdConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  return checkConfig(parsed, path, checkPolicy);
}

export function checkConfig(value: unknown, source = 'config', checkPolicy: PolicyChecker = checkPolicyDocument): KmsdConfig {
  const fail = (what: string): never => {
    throw new Error(`${source}: ${what}`);
  };
  if (!value || typeof value !== 'object') fail('must be a JSON object');
  const cfg = value as KmsdConfig;
  if (!Array.isArray(cfg.accounts) || cfg.accounts.length === 0) fail('"accounts" must be a non-empty array');
  const seen = new Set<string>();
  const accountIds = new Set<string>();
  for (const a of cfg.accounts) {
    if (typeof a.accountId !== 'string' || !/^\d{12}$/.test(a.accountId))
      fail(`account id ${JSON.stringify(a.accountId)} must be 12 digits`);
    if (accountIds.has(a.accountId)) fail(`account ${a.accountId} is listed twice`);
    accountIds.add(a.accountId);
    // Root keys are optional once the account has IAM users (AWS advises against root keys).
    const hasIam = Array.isArray(a.users) && a.users.length > 0;
    if (!Array.isArray(a.credentials) || (a.credentials.length === 0 && !hasIam)) fail(`account ${a.accountId} needs credentials`);
    for (const c of a.credentials) checkAccessKey(c.accessKeyId, c.secretAccessKey, seen, `account ${a.accountId}`, fail);
    checkIamIdentities(a, seen, checkPolicy, fail);
  }
  if (cfg.subnets !== undefined) {
    if (!cfg.subnets || typeof cfg.subnets !== 'object' || Array.isArray(cfg.subnets))
      fail('"subnets" must map subnet ids to Availability Zones');
    for (const [subnet, az] of Object.entries(cfg.subnets)) {
      if (!/^subnet-[0-9a-fA-F]{8,17}$/.test(subnet))
        fail(`subnet id ${JSON.stringify(subnet)} is not of the form subnet-<8 to 17 hex digits>`);
      if (typeof az !== 'string' || !/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/.test(az))
        fail(`subnet ${subnet}: ${JSON.stringify(az)} is not an Availability Zone name`);
    }
  }
  const transitionMs = cfg.cloudhsm?.transitionMs;
  if (transitionMs !== undefined && (typeof transitionMs !== 'number' || !(transitionMs >= 0))) {
    fail('"cloudhsm.transitionMs" must be a non-negative number of milliseconds');
  }
  if (cfg.quotas !== undefined) checkQuotas(cfg.quotas, fail);
  if (cfg.xksProxy !== undefined) checkXksProxy(cfg.xksProxy, fail);
  if (cfg.pkcs11Tokens !== undefined) checkPkcs11Tokens(cfg.pkcs11Tokens, fail);
  return cfg;
}

function checkPkcs11Tokens(value: unknown, fail: (what: string) => never): void {
  if (!Array.isArray(value)) fail('"pkcs11Tokens" must be an array');
  const names = new Set<string>();
  for (const [i, entry] of (value as unknown[]).entries()) {
    const at = `"pkcs11Tokens[${i}]"`;
    if (!isPlainObject(entry)) fail(`${at} must be an object`);
    const { name, module, tokenLabel, pinFile, pinEnv } = entry as Record<string, unknown>;
    // A CloudHSM tag value: 0 to 256 characters; kmsd asks for a plain name.
    if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(name))
      fail(`${at}.name must be 1 to 64 letters, digits, '.', '_' or '-'`);
    if (names.has(name as string)) fail(`${at}: the token name ${name as string} is used twice`);
    names.add(name as string);
    if (typeof module !== 'string' || module === '') fail(`${at}.module must be the path of a PKCS#11 library`);
    if (typeof tokenLabel !== 'string' || tokenLabel === '') fail(`${at}.tokenLabel must be the token's label`);
    if ((pinFile === undefined) === (pinEnv === undefined)) fail(`${at} needs exactly one of pinFile and pinEnv`);
    if (pinFile !== undefined && (typeof pinFile !== 'string' || pinFile === '')) fail(`${at}.pinFile must be a file path`);
    if (pinEnv !== undefined && (typeof pinEnv !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(pinEnv))) {
      fail(`${at}.pinEnv must be the name of an environment variable`);
    }
  }
}

function checkXksProxy(value: unknown, fail: (what: string) => never): void {
  if (!isPlainObject(value)) fail('"xksProxy" must be an object');
  const { caFile, endpoints, healthCheckSeconds } = value as Record<string, unknown>;
  if (caFile !== undefined && typeof caFile !== 'string') fail('"xksProxy.caFile" must be a file path');
  if (
    healthCheckSeconds !== undefined &&
    (typeof healthCheckSeconds !== 'number' ||
      !Number.isInteger(healthCheckSeconds) ||
      healthCheckSeconds < 1 ||
      healthCheckSeconds > 86400)
  ) {
    fail('"xksProxy.healthCheckSeconds" must be a whole number of seconds from 1 to 86400');
  }
  if (endpoints === undefined) return;
  if (!isPlainObject(endpoints)) fail('"xksProxy.endpoints" must be an object');
  for (const [endpoint, url] of Object.entries(endpoints as Record<string, unknown>)) {
    // The key is an XksProxyUriEndpoint as the model allows it: https, a host name, no port.
    if (!/^https:\/\/[a-zA-Z0-9.-]+$/.test(endpoint))
      fail(`"xksProxy.endpoints": ${JSON.stringify(endpoint)} is not of the form https://<host>`);
    if (typeof url !== 'string' || !/^https?:\/\/[^/]+$/.test(url)) {
      fail(`"xksProxy.endpoints.${endpoint}" must be an http(s)://<host>[:port] URL`);
    }
  }
}

const RATE_GROUPS = ['cryptographicSymmetric', 'cryptographicRsa', 'cryptographicEcc', 'cloudHsmKeyStore'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resource quotas are positive integers; request rates positive numbers (fractions allowed). */
function checkQuotas(quotas: unknown, fail: (what: string) => never): void {
  if (!isPlainObject(quotas)) fail('"quotas" must be an object');
  for (const [name, value] of Object.entries(quotas)) {
    if (name === 'requestsPerSecond') continue;
    if (!Object.prototype.hasOwnProperty.call(DEFAULT_RESOURCE_QUOTAS, name)) {
      fail(`"quotas.${name}" is not a quota (known: ${Object.keys(DEFAULT_RESOURCE_QUOTAS).join(', ')}, requestsPerSecond)`);
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(`"quotas.${name}" must be a positive integer`);
  }
  const rates = quotas.requestsPerSecond;
  if (rates === undefined) return;
  if (!isPlainObject(rates)) fail('"quotas.requestsPerSecond" must be an object');
  const positive = (path: string, value: unknown): void => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      fail(`"${path}" must be a positive number of requests per second`);
  };
  for (const [name, value] of Object.entries(rates)) {
    if (name === 'operations') continue;
    if (!(RATE_GROUPS as readonly string[]).includes(name)) {
      fail(`"quotas.requestsPerSecond.${name}" is not a request quota (known: ${RATE_GROUPS.join(', ')}, operations)`);
    }
    positive(`quotas.requestsPerSecond.${name}`, value);
  }
  const operations = rates.operations;
  if (operations === undefined) return;
  if (!isPlainObject(operations)) fail('"quotas.requestsPerSecond.operations" must map operation names to rates');
  for (const [name, value] of Object.entries(operations)) {
    const path = `quotas.requestsPerSecond.operations.${name}`;
    if (!(KMS_OPERATIONS as readonly string[]).includes(name)) fail(`"${path}": ${name} is not a KMS operation`);
    if (CRYPTOGRAPHIC_OPERATIONS.has(name as KmsOperationName) || name === 'GenerateRandom') {
      fail(`"${path}": ${name} counts against the cryptographic quota of its key type, not a quota of its own`);
    }
    positive(path, value);
  }
}
