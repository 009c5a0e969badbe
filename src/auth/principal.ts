/**
 * Who makes a request: an account's root user, an IAM user, or an assumed-role session
 * (contract §1 of issue 8, shared by the authorizer, the policy evaluator, STS and the audit log).
 *
 * ARN and id forms follow the IAM user guide (reference_identifiers.md): users are
 * `arn:aws:iam::<acct>:user<path><name>` with unique id `AIDA…`; role sessions are
 * `arn:aws:sts::<acct>:assumed-role/<role-name>/<session>` (no role path) with `aws:userid`
 * `AROA…:<session>`; the root user's `aws:userid` is the account id.
 */
import { createHash } from 'node:crypto';

export type PrincipalType = 'Account' | 'User' | 'AssumedRole';
export interface Principal {
  type: PrincipalType;
  /** arn:aws:iam::<acct>:root | arn:aws:iam::<acct>:user<path><name> | arn:aws:sts::<acct>:assumed-role/<role>/<session> */
  arn: string;
  accountId: string;
  /** aws:userid: the account id for root; AIDA… for a user; AROA…:<session> for a role session */
  userId: string;
  /** aws:username: IAM users only */
  userName?: string;
  /** Role sessions: the role's ARN arn:aws:iam::<acct>:role<path><name> (what policies name; aws:PrincipalArn) */
  roleArn?: string;
  /** aws:PrincipalTag/* */
  tags: Record<string, string>;
  /** The identity-based policy documents (JSON text) of the user or role; [] for root. */
  identityPolicies: string[];
  /** AssumeRole session policy (JSON text), if one was passed: it can only restrict. */
  sessionPolicy?: string;
}

/** What an IAM user or role is in the configuration, reduced to what a principal needs. */
export interface IamIdentity {
  accountId: string;
  name: string;
  path: string;
  tags: Record<string, string>;
  /** Inline identity policies as JSON text. */
  policies: string[];
}

export function rootArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:root`;
}

export function userArn(user: IamIdentity): string {
  return `arn:aws:iam::${user.accountId}:user${user.path}${user.name}`;
}

export function roleArn(role: IamIdentity): string {
  return `arn:aws:iam::${role.accountId}:role${role.path}${role.name}`;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * A unique id in IAM's form: a 4-letter prefix (AIDA users, AROA roles) and 17 base32
 * characters (21 in all, like AWS's). Derived from a hash of the account, kind and name, so the
 * same configuration gives the same ids after a restart and on every node.
 */
export function uniqueId(prefix: 'AIDA' | 'AROA', accountId: string, name: string): string {
  const digest = createHash('sha256').update(`kmsd-iam-id\0${prefix}\0${accountId}\0${name}`).digest();
  let out = prefix;
  for (let i = 0; i < 17; i++) out += BASE32[digest[i] & 31];
  return out;
}

export function accountPrincipal(accountId: string): Principal {
  return { type: 'Account', arn: rootArn(accountId), accountId, userId: accountId, tags: {}, identityPolicies: [] };
}

export function userPrincipal(user: IamIdentity): Principal {
  return {
    type: 'User',
    arn: userArn(user),
    accountId: user.accountId,
    userId: uniqueId('AIDA', user.accountId, user.name),
    userName: user.name,
    tags: user.tags,
    identityPolicies: user.policies,
  };
}

/**
 * A session of `role` named `sessionName`. Session tags override the role's tags of the same
 * key, as AWS documents for aws:PrincipalTag (id_session-tags.md).
 */
export function roleSessionPrincipal(
  role: IamIdentity,
  sessionName: string,
  options: { sessionPolicy?: string; sessionTags?: Record<string, string> } = {},
): Principal {
  return {
    type: 'AssumedRole',
    arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${sessionName}`,
    accountId: role.accountId,
    userId: `${uniqueId('AROA', role.accountId, role.name)}:${sessionName}`,
    roleArn: roleArn(role),
    tags: { ...role.tags, ...options.sessionTags },
    identityPolicies: role.policies,
    ...(options.sessionPolicy !== undefined ? { sessionPolicy: options.sessionPolicy } : {}),
  };
}
