/**
 * Every identity kmsd knows, built once from the configuration: the accounts' root keys, IAM
 * users with their access keys, and roles. Resolves the access key of a signed request, long-term
 * or temporary (an STS session token), to its secret and its principal.
 */
import type { KmsdConfig } from '../config.js';
import { DEFAULT_MAX_SESSION_SECONDS, isEmptyPolicy, policyText } from '../iam-config.js';
import type { InlinePolicyConfig, RoleConfig, UserConfig } from '../iam-config.js';
import { accountPrincipal, roleArn, roleSessionPrincipal, userPrincipal } from './principal.js';
import type { IamIdentity, Principal } from './principal.js';
import type { RoleSession, SessionTokens } from './session-tokens.js';

export interface ResolvedCredential {
  accessKeyId: string;
  secretAccessKey: string;
  principal: Principal;
}

/** 'unknown': no such key, or a token that is not valid for it; 'expired': a session past its expiry. */
export type CredentialLookup = ResolvedCredential | 'unknown' | 'expired';

export interface RoleEntry {
  identity: IamIdentity;
  arn: string;
  /** The trust policy (assumeRolePolicyDocument) as JSON text; undefined when it has no statement (nobody may assume the role). */
  trustPolicy: string | undefined;
  maxSessionSeconds: number;
}

export class IdentityDirectory {
  private readonly longTerm = new Map<string, ResolvedCredential>();
  /** By role ARN. */
  private readonly roles = new Map<string, RoleEntry>();
  /** By `<account>/<lower-case role name>`: session tokens name their role by account and name. */
  private readonly rolesByName = new Map<string, RoleEntry>();

  constructor(
    config: KmsdConfig,
    readonly sessionTokens: SessionTokens,
  ) {
    for (const account of config.accounts) {
      const root = accountPrincipal(account.accountId);
      for (const c of account.credentials) this.addKey(c.accessKeyId, c.secretAccessKey, root);
      for (const user of account.users ?? []) {
        const principal = userPrincipal(iamIdentity(account.accountId, user.userName, user));
        for (const k of user.accessKeys ?? []) this.addKey(k.accessKeyId, k.secretAccessKey, principal);
      }
      for (const role of account.roles ?? []) this.addRole(account.accountId, role);
    }
  }

  /**
   * The secret and principal for a request's access key and (optional) session token.
   * A token is accepted only for the temporary key it was issued with, and a temporary key only
   * with its token; the role must still exist in the configuration.
   */
  resolve(accessKeyId: string, sessionToken: string | undefined, now: Date): CredentialLookup {
    if (sessionToken === undefined) return this.longTerm.get(accessKeyId) ?? 'unknown';
    const session = this.sessionTokens.open(sessionToken);
    if (!session || session.accessKeyId !== accessKeyId) return 'unknown';
    const role = this.rolesByName.get(roleKey(session.accountId, session.roleName));
    if (!role) return 'unknown';
    if (now.getTime() >= session.expiresAt) return 'expired';
    return { accessKeyId, secretAccessKey: session.secretAccessKey, principal: sessionPrincipal(role, session) };
  }

  /** A long-term access key (root or IAM user), for the console's sign-in. */
  longTermKey(accessKeyId: string): ResolvedCredential | undefined {
    return this.longTerm.get(accessKeyId);
  }

  roleByArn(arn: string): RoleEntry | undefined {
    return this.roles.get(arn);
  }

  private addKey(accessKeyId: string, secretAccessKey: string, principal: Principal): void {
    this.longTerm.set(accessKeyId, { accessKeyId, secretAccessKey, principal });
  }

  private addRole(accountId: string, role: RoleConfig): void {
    const identity = iamIdentity(accountId, role.roleName, role);
    const trust = policyText(role.assumeRolePolicyDocument);
    const entry: RoleEntry = {
      identity,
      arn: roleArn(identity),
      trustPolicy: isEmptyPolicy(trust) ? undefined : trust,
      maxSessionSeconds: role.maxSessionDuration ?? DEFAULT_MAX_SESSION_SECONDS,
    };
    this.roles.set(entry.arn, entry);
    this.rolesByName.set(roleKey(accountId, role.roleName), entry);
  }
}

export function sessionPrincipal(role: RoleEntry, session: RoleSession): Principal {
  return roleSessionPrincipal(role.identity, session.sessionName, {
    sessionPolicy: session.sessionPolicy,
    sessionTags: session.sessionTags,
  });
}

function roleKey(accountId: string, roleName: string): string {
  // IAM role names are unique regardless of case.
  return `${accountId}/${roleName.toLowerCase()}`;
}

function iamIdentity(
  accountId: string,
  name: string,
  entity: Pick<UserConfig | RoleConfig, 'path' | 'tags'> & { policies?: InlinePolicyConfig[] },
): IamIdentity {
  return {
    accountId,
    name,
    path: entity.path ?? '/',
    tags: entity.tags ?? {},
    // Documents without statements change no decision; the evaluator need not see them.
    policies: (entity.policies ?? []).map((p) => policyText(p.policyDocument)).filter((text) => !isEmptyPolicy(text)),
  };
}
