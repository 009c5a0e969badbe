/**
 * The request as the evaluator reads it: the action in lower case (action names are
 * case-insensitive), the resource ARN's segments, and the condition keys, whose names match
 * case-insensitively (IAM: "Context key names are not case-sensitive", elements_condition), every
 * value read as a list of strings, plus the principal-derived global keys (IAM User Guide,
 * reference_policies_condition-keys).
 *
 * One RequestFacts serves every policy of one decision (key policy, identity policies, session
 * policy), and nothing is prepared that no statement reads: most statements are ruled out by action
 * or principal, and most test no condition. A condition key is found by a scan of the request's
 * keys, compared case-insensitively in place, rather than in an index of them all lower-cased: a
 * KMS request carries some twenty keys and a policy tests a few, and building that index (a new
 * string and map entry per key) cost more than the scans for the two conditions of a typical key
 * policy.
 */
import type { Principal } from '../principal.js';
import { splitArn } from './arn.js';
import type { AuthzRequest, ConditionValues } from './types.js';

type Value = string | readonly string[] | number | boolean;

/**
 * kmsd has no AWS service principals and no service calls on a caller's behalf, so these are false
 * unless the caller of the evaluator says otherwise. Without them a common guard such as
 * Deny … "Bool": {"aws:ViaAWSService": "false"} would silently never apply.
 */
const NOT_THROUGH_A_SERVICE = new Set(['aws:viaawsservice', 'aws:principalisawsservice']);

const PRINCIPAL_TAG = 'aws:principaltag/';

export class RequestFacts {
  readonly principal: Principal;
  /** The action, lower-cased. */
  readonly action: string;
  private readonly resource: string;
  private readonly context: ConditionValues;
  private segments: readonly string[] | undefined;
  private names: readonly string[] | undefined;

  constructor(request: AuthzRequest) {
    this.principal = request.principal;
    this.action = request.action.toLowerCase();
    this.resource = request.resource;
    this.context = request.context;
  }

  /** The resource ARN split into its six segments (arn.ts). */
  resourceSegments(): readonly string[] {
    return (this.segments ??= splitArn(this.resource));
  }

  /** The key's values; undefined when absent. An empty list is kept: ForAllValues/ForAnyValue treat it as "no values". */
  values(lowerName: string): readonly string[] | undefined {
    const value = this.lookup(lowerName);
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.map(String) : [String(value)];
  }

  /** A policy variable's value: only single-valued keys substitute (reference_policies_variables). */
  variable = (name: string): string | undefined => {
    const value = this.lookup(name.toLowerCase());
    return value === undefined || Array.isArray(value) ? undefined : String(value);
  };

  /** The principal's own keys win over the request's, which win over the defaults. */
  private lookup(lowerName: string): Value | undefined {
    const own = principalKey(this.principal, lowerName);
    if (own !== undefined) return own;
    let found: Value | undefined;
    // Of several names differing only in case, the last one counts.
    for (const name of (this.names ??= Object.keys(this.context))) {
      if (!lowerCaseIs(name, lowerName)) continue;
      const value = this.context[name];
      // A function computes a value only a policy reads (conditions that format a date).
      const resolved = typeof value === 'function' ? value() : value;
      if (resolved !== undefined) found = resolved;
    }
    if (found !== undefined) return found;
    return NOT_THROUGH_A_SERVICE.has(lowerName) ? 'false' : undefined;
  }
}

function principalKey(principal: Principal, lowerName: string): string | undefined {
  switch (lowerName) {
    // For a role session aws:PrincipalArn is the role's ARN, not the session's (condition-keys, aws:PrincipalArn).
    case 'aws:principalarn':
      return principal.type === 'AssumedRole' ? (principal.roleArn ?? principal.arn) : principal.arn;
    case 'aws:principalaccount':
      return principal.accountId;
    case 'aws:principaltype':
      return principal.type;
    case 'aws:userid':
      return principal.userId;
    case 'aws:username':
      return principal.type === 'User' ? principal.userName : undefined;
  }
  if (!lowerName.startsWith(PRINCIPAL_TAG)) return undefined;
  const tagName = lowerName.slice(PRINCIPAL_TAG.length);
  let found: string | undefined;
  for (const [tag, value] of Object.entries(principal.tags)) if (lowerCaseIs(tag, tagName)) found = value;
  return found;
}

/**
 * Whether `name.toLowerCase() === lower`, without building the lower-cased string for an ASCII
 * name (a condition key name almost always is). Lower-casing maps each ASCII character on its
 * own; outside ASCII it may change the length, so such a name is compared the long way.
 */
function lowerCaseIs(name: string, lower: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0x7f) return name.toLowerCase() === lower;
    const folded = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
    if (folded !== lower.charCodeAt(i)) return false;
  }
  return name.length === lower.length;
}
