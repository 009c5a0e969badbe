/** The public shapes of the policy language (AUTH-CONTRACT.md §2). */
import type { Principal } from '../principal.js';

/** Key policy, IAM identity policy, role trust policy, other resource policy (CloudHSM backup). */
export type PolicyKind = 'key' | 'identity' | 'trust' | 'resource';

/**
 * Condition keys by their AWS names (e.g. 'kms:EncryptionContext:Dept', 'aws:SourceIp'), looked up
 * case-insensitively. Lists are multi-valued keys (kms:EncryptionContextKeys, aws:TagKeys, …);
 * undefined means the key is absent from the request. A function gives a value that costs
 * something to compute (aws:CurrentTime formats a date): it is called only when a policy reads the key.
 */
export type ConditionValues = Record<string, string | string[] | number | boolean | (() => string) | undefined>;

export interface AuthzRequest {
  principal: Principal;
  /** 'kms:Encrypt', 'cloudhsm:CreateCluster', 'sts:AssumeRole' */
  action: string;
  /** The resource ARN, or '*' for actions without a resource. */
  resource: string;
  /** The request's condition keys; the evaluator adds the principal-derived global keys itself. */
  context: ConditionValues;
}

export interface PolicyResult {
  /** A Deny statement matched. */
  explicitDeny: boolean;
  /**
   * An Allow matched whose Principal names this caller itself (its user ARN, its role ARN for any of
   * its sessions, its session ARN, or "*"), or an Allow of an identity/session policy (no Principal).
   */
  allowed: boolean;
  /**
   * An Allow matched through the caller's account principal ("<acct>" or arn:aws:iam::<acct>:root):
   * AWS then also needs the caller's identity policies to allow (delegation), except for the root user.
   * Set for the root user too; the decision layer applies that exception.
   */
  allowedViaAccount: boolean;
}
