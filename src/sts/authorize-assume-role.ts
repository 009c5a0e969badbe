/**
 * May this principal assume this role? The STS side of AWS's evaluation (spec authorization.md
 * §7.3, IAM user guide reference_policies_evaluation-logic and -cross-account):
 *  - an explicit Deny in the trust policy, the caller's identity policies or its session policy refuses;
 *  - a trust policy that names the caller itself (user ARN, role ARN, session ARN, "*") is enough
 *    within the role's account;
 *  - a trust policy that names only the caller's account, and any trust across accounts, also needs
 *    the caller's identity policies to allow sts:AssumeRole on the role;
 *  - a role session's session policy can only restrict: it must allow too.
 */
import { compilePolicy, evaluatePolicy } from '../auth/policy/index.js';
import type { AuthzRequest, ConditionValues } from '../auth/policy/index.js';
import type { Principal } from '../auth/principal.js';
import type { RoleEntry } from '../auth/identities.js';

/** Whether some of the policies allows, and whether one denies. */
function evaluateAll(texts: string[], request: AuthzRequest): { explicitDeny: boolean; allowed: boolean } {
  let allowed = false;
  for (const text of texts) {
    const result = evaluatePolicy(compilePolicy(text, 'identity'), request);
    if (result.explicitDeny) return { explicitDeny: true, allowed: false };
    allowed ||= result.allowed;
  }
  return { explicitDeny: false, allowed };
}

/** `action` is sts:AssumeRole, or sts:TagSession when the request passes session tags. */
export function mayAssumeRole(principal: Principal, role: RoleEntry, action: string, context: ConditionValues): boolean {
  if (role.trustPolicy === undefined) return false;
  const request: AuthzRequest = { principal, action, resource: role.arn, context };
  const trust = evaluatePolicy(compilePolicy(role.trustPolicy, 'trust'), request);
  const identity = evaluateAll(principal.identityPolicies, request);
  const session =
    principal.sessionPolicy === undefined ? { explicitDeny: false, allowed: true } : evaluateAll([principal.sessionPolicy], request);
  if (trust.explicitDeny || identity.explicitDeny || session.explicitDeny) return false;
  // A session policy restricts even a trust policy that names the caller (kmsd's safe reading).
  if (!session.allowed) return false;
  if (trust.allowed && principal.accountId === role.identity.accountId) return true;
  if (trust.allowed || trust.allowedViaAccount) return identity.allowed;
  return false;
}
