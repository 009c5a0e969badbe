/**
 * The IAM policy language for kmsd (AUTH-CONTRACT.md §2): key policies, IAM identity policies, role
 * trust policies and CloudHSM backup resource policies are compiled once (compilePolicy, memoized) and
 * evaluated per request (evaluatePolicy).
 */
import type { CompiledPolicy } from './compile.js';
import { evaluateCompiled } from './evaluate.js';
import { RequestFacts } from './request-facts.js';
import type { AuthzRequest, PolicyResult } from './types.js';

export { compilePolicy, POLICY_CACHE_CAPACITY } from './cache.js';
export { KEY_POLICY_MAX_BYTES, type CompiledPolicy, type CompiledStatement } from './compile.js';
export { MalformedPolicyError, PolicyTooLargeError } from './errors.js';
export { RequestFacts } from './request-facts.js';
export type { AuthzRequest, ConditionValues, PolicyKind, PolicyResult } from './types.js';

/**
 * Evaluates one policy for a request. A decision that evaluates several policies for the same
 * request passes one `new RequestFacts(request)` to each, so the request is read once.
 */
export function evaluatePolicy(policy: CompiledPolicy, request: AuthzRequest | RequestFacts): PolicyResult {
  return evaluateCompiled(policy, request instanceof RequestFacts ? request : new RequestFacts(request));
}
