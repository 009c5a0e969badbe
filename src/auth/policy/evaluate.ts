/**
 * Evaluates one compiled policy for one request (IAM User Guide, reference_policies_evaluation-logic):
 * a statement applies when its action, resource, principal and every condition match; the result says
 * whether a Deny applied and how an Allow reached the caller. Combining several policies (key policy,
 * identity policies, session policy, grants) is the decision layer's job.
 */
import { arnMatches, splitArn } from './arn.js';
import type { CompiledPolicy, CompiledStatement } from './compile.js';
import { globMatches } from './glob.js';
import { matchPrincipal, notPrincipalApplies, type PrincipalMatch } from './principals.js';
import { RequestFacts } from './request-facts.js';
import type { AuthzRequest, PolicyResult } from './types.js';

function actionMatches(statement: CompiledStatement, action: string): boolean {
  const listed = statement.actions.some((pattern) => globMatches(pattern, action));
  return listed !== statement.notAction;
}

function resourceMatches(statement: CompiledStatement, segments: readonly string[], facts: RequestFacts): boolean {
  if (statement.resources === undefined) return true;
  const listed = statement.resources.some((pattern) => arnMatches(pattern, segments, facts.variable));
  return listed !== statement.notResource;
}

/** 'self' for identity policies (no Principal element: the policy is the caller's own). */
function principalMatch(statement: CompiledStatement, request: AuthzRequest): PrincipalMatch {
  if (statement.principal) return matchPrincipal(statement.principal, request.principal);
  if (statement.notPrincipal) return notPrincipalApplies(statement.notPrincipal, request.principal) ? 'self' : undefined;
  return 'self';
}

export function evaluateCompiled(policy: CompiledPolicy, request: AuthzRequest): PolicyResult {
  const result: PolicyResult = { explicitDeny: false, allowed: false, allowedViaAccount: false };
  const action = request.action.toLowerCase();
  const segments = splitArn(request.resource);
  let facts: RequestFacts | undefined;
  for (const statement of policy.statements) {
    if (!actionMatches(statement, action)) continue;
    const match = principalMatch(statement, request);
    if (match === undefined) continue;
    // Built lazily: most statements of a key policy are ruled out by action or principal.
    facts ??= new RequestFacts(request.principal, request.context);
    if (!resourceMatches(statement, segments, facts)) continue;
    const current = facts;
    if (!statement.conditions.every((condition) => condition.test(current))) continue;
    if (statement.effect === 'Deny') result.explicitDeny = true;
    else if (match === 'self') result.allowed = true;
    else result.allowedViaAccount = true;
  }
  return result;
}
