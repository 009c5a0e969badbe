/**
 * Principal and NotPrincipal (IAM User Guide, reference_policies_elements_principal; authorization
 * spec §2.2). Values are validated and sorted into sets at compile time; matching a caller is a few
 * set lookups. The account principal ("<acct>" or arn:<p>:iam::<acct>:root) stands for the whole
 * account, i.e. delegation to its IAM policies, which is why it is reported apart from a direct match.
 */
import type { Principal } from '../principal.js';

const PARTITION = '(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc)';
const NAME = '[\\w+=,.@-]+';
const ACCOUNT_ID = /^\d{12}$/;
const ACCOUNT_ARN = new RegExp(`^arn:${PARTITION}:iam::(\\d{12}):root$`);
// Users and roles may have a path (/division/team/); no wildcards anywhere.
const USER_OR_ROLE_ARN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:(user|role)(/${NAME})*/${NAME}$`);
const SESSION_ARN = new RegExp(`^arn:${PARTITION}:sts::\\d{12}:assumed-role/${NAME}/${NAME}$`);
const FEDERATED_USER_ARN = new RegExp(`^arn:${PARTITION}:sts::\\d{12}:federated-user/${NAME}$`);
const SERVICE = /^[a-z0-9][a-z0-9.-]*$/;
const FEDERATED_PROVIDER = /^(arn:[\w-]+:iam::\d{12}:(saml|oidc)-provider\/[\w./:-]+|[\w.-]+)$/;

/** How a statement's principal covers the caller. */
export type PrincipalMatch = 'self' | 'account' | undefined;

export interface PrincipalSet {
  readonly everyone: boolean;
  /** Account id -> the partitions it is named in (`aws`, …), `*` for a bare account id (any partition). */
  readonly accounts: ReadonlyMap<string, readonly string[]>;
  /** User, role, role-session and federated-user ARNs: matched exactly. */
  readonly arns: ReadonlySet<string>;
  /** Service principals: kmsd has no service callers, so these never match (kept for completeness). */
  readonly services: ReadonlySet<string>;
  /** The AWS principal values as written (ARNs and account ids), for existence checks by the caller. */
  readonly named: readonly string[];
}

export type PrincipalBlockKind = 'key' | 'trust' | 'resource';

/** A valid PrincipalSet, or the first invalid value rendered as IAM shows it (`"AWS":"…"`). */
export function compilePrincipals(element: unknown, kind: PrincipalBlockKind): PrincipalSet | { invalid: string } {
  if (element === '*') return { everyone: true, accounts: new Map(), arns: new Set(), services: new Set(), named: [] };
  if (element === null || typeof element !== 'object' || Array.isArray(element)) return { invalid: JSON.stringify(element) };
  let everyone = false;
  const accounts = new Map<string, string[]>();
  const addAccount = (partition: string, account: string): void => {
    const partitions = accounts.get(account);
    if (partitions === undefined) accounts.set(account, [partition]);
    else if (!partitions.includes(partition)) partitions.push(partition);
  };
  const arns = new Set<string>();
  const services = new Set<string>();
  const named: string[] = [];
  const entries = Object.entries(element as Record<string, unknown>);
  if (entries.length === 0) return { invalid: '{}' };
  for (const [type, raw] of entries) {
    const values = typeof raw === 'string' ? [raw] : Array.isArray(raw) && raw.length > 0 ? raw : undefined;
    if (values === undefined) return { invalid: `"${type}":${JSON.stringify(raw)}` };
    for (const value of values) {
      const invalid = { invalid: `"${type}":${JSON.stringify(value)}` };
      if (typeof value !== 'string') return invalid;
      if (type === 'AWS') {
        if (value === '*') {
          everyone = true;
          continue;
        }
        const account = ACCOUNT_ARN.exec(value);
        if (ACCOUNT_ID.test(value)) addAccount('*', value);
        else if (account) addAccount(account[1], account[2]);
        else if (USER_OR_ROLE_ARN.test(value) || SESSION_ARN.test(value) || FEDERATED_USER_ARN.test(value)) arns.add(value);
        // Unique ids (AIDA…, AROA…) stand for deleted principals; wildcards are never partial.
        else return invalid;
        named.push(value);
      } else if (type === 'Service' && SERVICE.test(value)) {
        services.add(value);
      } else if (type === 'Federated' && kind === 'trust' && FEDERATED_PROVIDER.test(value)) {
        arns.add(value);
      } else {
        return invalid;
      }
    }
  }
  return { everyone, accounts, arns, services, named };
}

/** Whether `arn` (`arn:<partition>:…`) is in `partition`; compared in place, as this runs on every request. */
function inPartition(arn: string, partition: string): boolean {
  return arn.startsWith(partition, 4) && arn.charCodeAt(4 + partition.length) === 0x3a; // ':'
}

function coversAccount(set: PrincipalSet, caller: Principal): boolean {
  const partitions = set.accounts.get(caller.accountId);
  return partitions !== undefined && partitions.some((partition) => partition === '*' || inPartition(caller.arn, partition));
}

/** Principal: the caller is named itself ('self'), only through its account ('account'), or not at all. */
export function matchPrincipal(set: PrincipalSet, caller: Principal): PrincipalMatch {
  if (set.everyone) return 'self';
  if (caller.type !== 'Account' && set.arns.has(caller.arn)) return 'self';
  // A role ARN covers every session of the role (principal.md, "IAM roles").
  if (caller.type === 'AssumedRole' && caller.roleArn !== undefined && set.arns.has(caller.roleArn)) return 'self';
  return coversAccount(set, caller) ? 'account' : undefined;
}

/**
 * NotPrincipal: the statement applies unless every identity the request carries is listed: the
 * account, and the user, or the role and its session. IAM documents that a Deny with NotPrincipal must
 * list the account and, for a role, both the role and session ARNs to exempt a caller (elements_notprincipal).
 */
export function notPrincipalApplies(set: PrincipalSet, caller: Principal): boolean {
  if (set.everyone) return false;
  if (!coversAccount(set, caller)) return true;
  if (caller.type === 'Account') return false;
  if (!set.arns.has(caller.arn)) return true;
  return caller.type === 'AssumedRole' && (caller.roleArn === undefined || !set.arns.has(caller.roleArn));
}
