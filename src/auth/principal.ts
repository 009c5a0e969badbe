/**
 * Who is calling: the account root user, an IAM user, or a role session. Built by the
 * gateway from the request's credentials; the policy evaluator (src/auth/policy/) reads it to
 * match `Principal` elements and to fill the principal-derived global condition keys.
 */
export type PrincipalType = 'Account' | 'User' | 'AssumedRole';

export interface Principal {
  type: PrincipalType;
  /** arn:aws:iam::<acct>:root | arn:aws:iam::<acct>:user<path><name> | arn:aws:sts::<acct>:assumed-role/<role>/<session> */
  arn: string;
  accountId: string;
  /** aws:userid: the account id for root; AIDA… for a user; AROA…:<session> for a role session */
  userId: string;
  /** aws:username: IAM users only */
  userName?: string;
  /** Role sessions: the role's ARN arn:aws:iam::<acct>:role<path><name> (what policies name; aws:PrincipalArn) */
  roleArn?: string;
  /** aws:PrincipalTag/* */
  tags: Record<string, string>;
  /** The identity-based policy documents (JSON text) of the user or role; [] for root. */
  identityPolicies: string[];
  /** AssumeRole session policy (JSON text), if one was passed: it can only restrict. */
  sessionPolicy?: string;
}
