/**
 * Who is calling: the account root, an IAM user or an assumed-role session, with what the
 * policy evaluator needs about it (AUTH-CONTRACT.md §1).
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
