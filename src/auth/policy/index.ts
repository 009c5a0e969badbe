/**
 * PLACEHOLDER until the auth-policy branch is merged: the contract of AUTH-CONTRACT.md §2,
 * whose real implementation (parse, validate, evaluate) lives on that branch.
 */
import type { Principal } from '../principal.js';

export type PolicyKind = 'key' | 'identity' | 'trust' | 'resource';
export class MalformedPolicyError extends Error {}
export interface CompiledPolicy {
  readonly kind: PolicyKind;
  readonly text: string;
}
export function compilePolicy(text: string, kind: PolicyKind): CompiledPolicy {
  return { kind, text };
}
export type ConditionValues = Record<string, string | string[] | number | boolean | undefined>;
export interface AuthzRequest {
  principal: Principal;
  action: string;
  resource: string;
  context: ConditionValues;
}
export interface PolicyResult {
  explicitDeny: boolean;
  allowed: boolean;
  allowedViaAccount: boolean;
}
export function evaluatePolicy(policy: CompiledPolicy, request: AuthzRequest): PolicyResult {
  throw new Error(`policy evaluator not merged yet (${policy.kind}, ${request.action})`);
}
