/**
 * Evaluates one compiled policy for one request (IAM User Guide, reference_policies_evaluation-logic):
 * a statement applies when its action, resource, principal and every condition match; the result says
 * whether a Deny applied and how an Allow reached the caller. Combining several policies (key policy,
 * identity policies, session policy, grants) is the decision layer's job.
 */
import { arnMatches, matchesAnyArn } from './arn.js';
import type { CompiledPolicy, CompiledStatement } from './compile.js';
import { globMatches } from './glob.js';
import { matchPrincipal, notPrincipalApplies, type PrincipalMatch } from './principals.js';
import type { RequestFacts } from './request-facts.js';
import type { PolicyResult } from './types.js';

function actionMatches(statement: CompiledStatement, action: string): boolean {
  const listed = statement.actions.some((pattern) => globMatches(pattern, action));
  return listed !== statement.notAction;
}

function resourceMatches(statement: CompiledStatement, facts: RequestFacts): boolean {
  if (statement.resources === undefined) return true;
  // "Resource": "*" (every key policy, most identity policies) needs no look at the ARN.
  const listed = statement.resources.some(
    (pattern) => matchesAnyArn(pattern) || arnMatches(pattern, facts.resourceSegments(), facts.variable),
  );
  return listed !== statement.notResource;
}

/** 'self' for identity policies (no Principal element: the policy is the caller's own). */
function principalMatch(statement: CompiledStatement, facts: RequestFacts): PrincipalMatch {
  if (statement.principal) return matchPrincipal(statement.principal, facts.principal);
  if (statement.notPrincipal) return notPrincipalApplies(statement.notPrincipal, facts.principal) ? 'self' : undefined;
  return 'self';
}

function conditionsHold(statement: CompiledStatement, facts: RequestFacts): boolean {
  for (const condition of statement.conditions) if (!condition.test(facts)) return false;
  return true;
}

export function evaluateCompiled(policy: CompiledPolicy, facts: RequestFacts): PolicyResult {
  const result: PolicyResult = { explicitDeny: false, allowed: false, allowedViaAccount: false };
  for (const statement of policy.statements) {
    if (!actionMatches(statement, facts.action)) continue;
    const match = principalMatch(statement, facts);
    if (match === undefined) continue;
    if (!resourceMatches(statement, facts)) continue;
    if (!conditionsHold(statement, facts)) continue;
    if (statement.effect === 'Deny') result.explicitDeny = true;
    else if (match === 'self') result.allowed = true;
    else result.allowedViaAccount = true;
  }
  return result;
}
