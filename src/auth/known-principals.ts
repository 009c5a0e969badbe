/**
 * Which principals a policy may name. AWS refuses a key policy naming an IAM user or role
 * that does not exist (MalformedPolicyDocumentException "Policy contains a statement with one
 * or more invalid principals.", spec authorization.md §4.2). kmsd knows the users and roles of
 * the accounts in its configuration; for other accounts it cannot know, so it accepts them.
 */
import type { KmsdConfig } from '../config.js';

export type PrincipalExists = (principal: string) => boolean;

const IAM_ENTITY = /^arn:aws[a-z-]*:iam::(\d{12}):(user|role)(\/.*)$/;
const ROLE_SESSION = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

export function knownPrincipals(config: KmsdConfig): PrincipalExists {
  const accounts = new Set(config.accounts.map((a) => a.accountId));
  const entities = new Set<string>();
  const roleNames = new Set<string>();
  for (const a of config.accounts) {
    for (const u of a.users ?? []) entities.add(`${a.accountId}:user${u.path ?? '/'}${u.userName}`);
    for (const r of a.roles ?? []) {
      entities.add(`${a.accountId}:role${r.path ?? '/'}${r.roleName}`);
      roleNames.add(`${a.accountId}:${r.roleName}`);
    }
  }
  return (principal) => {
    const entity = IAM_ENTITY.exec(principal);
    if (entity) return !accounts.has(entity[1]) || entities.has(`${entity[1]}:${entity[2]}${entity[3]}`);
    const session = ROLE_SESSION.exec(principal);
    if (session) return !accounts.has(session[1]) || roleNames.has(`${session[1]}:${session[2]}`);
    return true;
  };
}
