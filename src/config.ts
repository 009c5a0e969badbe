/**
 * kmsd's configuration file (--config / KMSD_CONFIG):
 *
 *   {
 *     "accounts": [{ "accountId": "123456789012",
 *                    "credentials": [{ "accessKeyId": "...", "secretAccessKey": "..." }],
 *                    "users": [...], "roles": [...] }],       (IAM identities: iam-config.ts)
 *     "subnets": { "subnet-0123456789abcdef0": "us-east-1b" },
 *     "cloudhsm": { "transitionMs": 500 }
 *   }
 *
 * Without a file kmsd serves one development account, 111122223333, with key test/test.
 */
import { readFileSync } from 'node:fs';
import { checkAccessKey, checkIamIdentities, checkPolicyDocument } from './iam-config.js';
import type { AccessKeyConfig, PolicyChecker, RoleConfig, UserConfig } from './iam-config.js';

export interface AccountConfig {
  accountId: string;
  /** The account's root user's access keys. */
  credentials: AccessKeyConfig[];
  users?: UserConfig[];
  roles?: RoleConfig[];
}

export interface KmsdConfig {
  accounts: AccountConfig[];
  /** Subnet id -> Availability Zone, for CloudHSM clusters (kmsd has no EC2). */
  subnets?: Record<string, string>;
  cloudhsm?: {
    /** How long CloudHSM transitional states (CREATE_IN_PROGRESS, ...) last; 0 for instant. */
    transitionMs?: number;
  };
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
  return cfg;
}
