/**
 * The authorization decision shared by KMS and CloudHSM, as AWS documents it
 * (shared/spec/authorization.md §2; IAM User Guide, "Policy evaluation logic" and
 * "Cross-account policy evaluation logic"):
 *
 *   1. an explicit Deny in the resource policy, an identity policy or the session policy wins;
 *   2. a resource (key) policy that names the caller allows;
 *   3. one that names the caller's account delegates to the caller's IAM identity policies;
 *   4. a grant allows (KMS only; the caller supplies that answer);
 *   5. otherwise the implicit deny.
 *
 * Cross-account, the resource policy must allow the caller (or its account) AND the caller's
 * own identity policies must allow the action. Session policies only ever restrict.
 * Operations without a resource policy are decided by identity policies alone; the account
 * root is always allowed in its own account.
 *
 * Policies are compiled (and memoized by text) by the policy module, so this file does no
 * JSON parsing per request.
 */
import { compilePolicy, evaluatePolicy, RequestFacts } from './policy/index.js';
import type { CompiledPolicy, ConditionValues, PolicyResult } from './policy/index.js';
import type { Principal } from './principal.js';

/** Why a request was refused; it picks the tail of AWS's AccessDenied text (§3.2). */
export type DenyReason =
  | 'explicit-deny-resource'
  | 'explicit-deny-identity'
  | 'no-resource-policy-allows'
  | 'no-identity-policy-allows'
  | 'no-session-policy-allows';

export type Decision = { allowed: true } | { allowed: false; reason: DenyReason };

const ALLOW: Decision = { allowed: true };
const deny = (reason: DenyReason): Decision => ({ allowed: false, reason });

export interface AuthorizationQuestion {
  principal: Principal;
  action: string;
  /** The resource ARN, or '*' for actions without a resource. */
  resource: string;
  context: ConditionValues;
}

/** What the caller's own side (identity policies, session policy) says about a request. */
interface IdentitySide {
  explicitDeny: boolean;
  /** An identity policy allows (always true for the account root). */
  allows: boolean;
  /** No session policy, or the session policy allows. */
  sessionAllows: boolean;
}

function identitySide(q: AuthorizationQuestion, request: RequestFacts): IdentitySide {
  let explicitDeny = false;
  // The root user is not limited by IAM policies in its own account: it has none.
  let allows = q.principal.type === 'Account';
  for (const text of q.principal.identityPolicies) {
    const result = evaluatePolicy(compilePolicy(text, 'identity'), request);
    if (result.explicitDeny) explicitDeny = true;
    if (result.allowed) allows = true;
  }
  let sessionAllows = true;
  if (q.principal.sessionPolicy !== undefined) {
    const result = evaluatePolicy(compilePolicy(q.principal.sessionPolicy, 'identity'), request);
    if (result.explicitDeny) explicitDeny = true;
    sessionAllows = result.allowed;
  }
  return { explicitDeny, allows, sessionAllows };
}

/** Operations without a resource policy (CreateKey, ListKeys, custom key stores, cloudhsm:*). */
export function decideByIdentity(q: AuthorizationQuestion): Decision {
  const side = identitySide(q, new RequestFacts(q));
  if (side.explicitDeny) return deny('explicit-deny-identity');
  if (!side.allows) return deny('no-identity-policy-allows');
  return side.sessionAllows ? ALLOW : deny('no-session-policy-allows');
}

export interface ResourcePolicyQuestion extends AuthorizationQuestion {
  /** The resource's policy (a key policy, a backup's resource policy). */
  policy: CompiledPolicy;
  /** The account owning the resource. */
  resourceAccount: string;
  /** Whether the action may be used across accounts at all (KMS "Cross-account use"). */
  crossAccount: boolean;
  /**
   * Whether a grant allows the request (step 4); asked only when the policies did not
   * already allow, so grants are loaded only then.
   */
  grantAllows?: () => Promise<boolean>;
}

/** An operation on a resource with its own policy (a KMS key, a shared CloudHSM backup). */
export async function decideWithResourcePolicy(q: ResourcePolicyQuestion): Promise<Decision> {
  // One reading of the request for the key policy and the caller's policies alike.
  const facts = new RequestFacts(q);
  const resource: PolicyResult = evaluatePolicy(q.policy, facts);
  const side = identitySide(q, facts);
  // A Deny in the key policy is reported before one in IAM (our reading, §3.2).
  if (resource.explicitDeny) return deny('explicit-deny-resource');
  if (side.explicitDeny) return deny('explicit-deny-identity');
  const sameAccount = q.principal.accountId === q.resourceAccount;
  // Management operations stay in the owning account: a foreign principal is refused
  // whatever the key policy says (§2.4: other permissions have no effect).
  if (!sameAccount && !q.crossAccount) return deny('no-resource-policy-allows');
  if (sameAccount && resource.allowed) {
    // A key policy naming the user or the role needs no IAM allow in the same account;
    // a role session's session policy still cuts it down.
    if (side.sessionAllows) return ALLOW;
    return (await grantAllows(q)) ? ALLOW : deny('no-session-policy-allows');
  }
  if (resource.allowed || resource.allowedViaAccount) {
    // Delegation to the account (same account), or any allow for a foreign principal:
    // the caller's identity policies must allow too.
    if (side.allows && side.sessionAllows) return ALLOW;
    return (await grantAllows(q)) ? ALLOW : deny(side.allows ? 'no-session-policy-allows' : 'no-identity-policy-allows');
  }
  return (await grantAllows(q)) ? ALLOW : deny('no-resource-policy-allows');
}

async function grantAllows(q: ResourcePolicyQuestion): Promise<boolean> {
  return q.grantAllows ? q.grantAllows() : false;
}

/**
 * AWS's AccessDenied text (§3.2):
 * `User: <arn> is not authorized to perform: <action>[ on resource: <arn>] <reason>`.
 */
export function accessDeniedMessage(principalArn: string, action: string, resource: string | undefined, reason: DenyReason): string {
  const on = resource === undefined ? '' : ` on resource: ${resource}`;
  return `User: ${principalArn} is not authorized to perform: ${action}${on} ${reasonText(action, reason)}`;
}

function reasonText(action: string, reason: DenyReason): string {
  switch (reason) {
    case 'explicit-deny-resource':
      return 'with an explicit deny in a resource-based policy';
    case 'explicit-deny-identity':
      return 'with an explicit deny in an identity-based policy';
    case 'no-resource-policy-allows':
      return `because no resource-based policy allows the ${action} action`;
    case 'no-identity-policy-allows':
      return `because no identity-based policy allows the ${action} action`;
    // The IAM user guide's wording for a role session whose session policy does not allow.
    case 'no-session-policy-allows':
      return `because no session policy allows the ${action} action`;
  }
}
