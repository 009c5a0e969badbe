/**
 * The MalformedPolicyDocument texts, per policy kind. Sources (authorization spec §4.2, §9): for key
 * policies AWS's texts are known only for invalid principals, a missing principal, forbidden condition
 * keys and the lockout check, plus an empty message for a document that is not JSON
 * (aws/aws-sdk-ruby#1784). For the grammar defects both services share (missing actions, bad action
 * names, duplicate Sids…) IAM's texts are used, as IAM returns them for identity and trust policies;
 * docs/compatibility.md records which texts are kmsd's choice.
 */
import type { PolicyKind } from './types.js';

export type PolicyDefect =
  | 'notJson'
  | 'syntax'
  | 'missingAction'
  | 'missingResource'
  | 'prohibitedPrincipal'
  | 'missingPrincipal'
  | 'prohibitedResource'
  | 'invalidPrincipal'
  | 'actionVendor'
  | 'actionColons'
  | 'resourceFormat'
  | 'keyResourceNotStar'
  | 'sidFormat'
  | 'duplicateSid'
  | 'keyPolicyConditionKeys'
  | 'tooLarge';

const SYNTAX = 'Syntax errors in policy.';
const KEY_INVALID_PRINCIPALS = 'Policy contains a statement with one or more invalid principals.';

/** IAM's texts (identity and trust policies: PutUserPolicy, CreateRole, AssumeRole `Policy`). */
const IAM: Record<PolicyDefect, (detail: string) => string> = {
  notJson: () => SYNTAX,
  syntax: () => SYNTAX,
  missingAction: () => 'Policy statement must contain actions.',
  missingResource: () => 'Policy statement must contain resources.',
  prohibitedPrincipal: () => 'Policy document should not specify a principal.',
  missingPrincipal: () => 'Missing required field Principal',
  prohibitedResource: () => 'Has prohibited field Resource',
  invalidPrincipal: (detail) => `Invalid principal in policy: ${detail}`,
  actionVendor: () => 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.',
  actionColons: () => 'Actions/Condition can contain only one colon.',
  resourceFormat: (detail) => `Resource ${detail} must be in ARN format or "*".`,
  sidFormat: () => 'Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*',
  duplicateSid: () => 'Statement IDs (SID) in a single policy must be unique.',
  keyPolicyConditionKeys: () => SYNTAX,
  keyResourceNotStar: () => SYNTAX,
  tooLarge: () => SYNTAX,
};

/** Key policies (CreateKey, PutKeyPolicy, ReplicateKey) and other resource policies. */
const KEY: Record<PolicyDefect, (detail: string) => string> = {
  ...IAM,
  // AWS sent MalformedPolicyDocumentException with no message for "not a real policy statement".
  notJson: () => '',
  // Observed on CreateKey (terraform-aws-modules/terraform-aws-eks#2163, 2022).
  missingPrincipal: () => 'Policy contains a statement with no principal.',
  invalidPrincipal: () => KEY_INVALID_PRINCIPALS,
  // Observed text (awsdocs/aws-kms-developer-guide#47): the whole list, whichever of them was used.
  keyPolicyConditionKeys: () =>
    'These condition keys are not permitted in a key policy: aws:ResourceTag, kms:ResourceTag, kms:ResourceAliases',
  // LimitExceededException; AWS's text is not published.
  tooLarge: () => 'The key policy exceeds the maximum size of 32768 bytes.',
  // Since 2025-08-18 AWS rejects key-policy statements whose Resource is not "*"; its text is not published.
  keyResourceNotStar: () => 'Policy contains a statement whose Resource is not "*".',
};

export function policyMessage(kind: PolicyKind, defect: PolicyDefect, detail = ''): string {
  return (kind === 'key' || kind === 'resource' ? KEY : IAM)[defect](detail);
}
