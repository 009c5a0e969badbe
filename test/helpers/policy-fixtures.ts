/** Principals, ARNs and small builders for policy-language tests. */
import { expect, it } from 'vitest';
import type { Principal } from '../../src/auth/principal.js';
import {
  compilePolicy,
  evaluatePolicy,
  type AuthzRequest,
  type ConditionValues,
  type PolicyKind,
  type PolicyResult,
} from '../../src/auth/policy/index.js';

export const ACCOUNT = '111122223333';
export const OTHER_ACCOUNT = '444455556666';
export const KEY_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const ALIAS_ARN = `arn:aws:kms:us-east-1:${ACCOUNT}:alias/app`;

export const root: Principal = {
  type: 'Account',
  arn: `arn:aws:iam::${ACCOUNT}:root`,
  accountId: ACCOUNT,
  userId: ACCOUNT,
  tags: {},
  identityPolicies: [],
};

export const alice: Principal = {
  type: 'User',
  arn: `arn:aws:iam::${ACCOUNT}:user/Alice`,
  accountId: ACCOUNT,
  userId: 'AIDAEXAMPLEALICE00001',
  userName: 'Alice',
  tags: { Team: 'blue', 'cost-center': '42' },
  identityPolicies: [],
};

export const carol: Principal = {
  type: 'User',
  arn: `arn:aws:iam::${ACCOUNT}:user/eng/Carol`,
  accountId: ACCOUNT,
  userId: 'AIDAEXAMPLECAROL0001',
  userName: 'Carol',
  tags: {},
  identityPolicies: [],
};

/** A session of role ops/Admin: the session ARN has no path, the role ARN does. */
export function adminSession(session = 'session1'): Principal {
  return {
    type: 'AssumedRole',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/${session}`,
    accountId: ACCOUNT,
    userId: `AROAEXAMPLEADMIN0001:${session}`,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/ops/Admin`,
    tags: { Team: 'red' },
    identityPolicies: [],
  };
}

export const auditorSession: Principal = {
  type: 'AssumedRole',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Auditor/s`,
  accountId: ACCOUNT,
  userId: 'AROAEXAMPLEAUDITOR01:s',
  roleArn: `arn:aws:iam::${ACCOUNT}:role/Auditor`,
  tags: {},
  identityPolicies: [],
};

export const bob: Principal = {
  type: 'User',
  arn: `arn:aws:iam::${OTHER_ACCOUNT}:user/Bob`,
  accountId: OTHER_ACCOUNT,
  userId: 'AIDAEXAMPLEBOB000001',
  userName: 'Bob',
  tags: {},
  identityPolicies: [],
};

export const otherRoot: Principal = {
  type: 'Account',
  arn: `arn:aws:iam::${OTHER_ACCOUNT}:root`,
  accountId: OTHER_ACCOUNT,
  userId: OTHER_ACCOUNT,
  tags: {},
  identityPolicies: [],
};

/** A policy document with Version 2012-10-17 around the given statements. */
export function policy(...statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

export function request(principal: Principal, action: string, context: ConditionValues = {}, resource = KEY_ARN): AuthzRequest {
  return { principal, action, resource, context };
}

export const NONE: PolicyResult = { explicitDeny: false, allowed: false, allowedViaAccount: false };
export const ALLOWED: PolicyResult = { explicitDeny: false, allowed: true, allowedViaAccount: false };
export const VIA_ACCOUNT: PolicyResult = { explicitDeny: false, allowed: false, allowedViaAccount: true };
export const DENIED: PolicyResult = { explicitDeny: true, allowed: false, allowedViaAccount: false };

export interface PolicyRow {
  name: string;
  /** Defaults to 'key'. */
  kind?: PolicyKind;
  policy: string;
  request: AuthzRequest;
  expected: PolicyResult;
}

/** One test per row: the policy evaluated for the request gives exactly the expected result. */
export function runRows(rows: PolicyRow[]): void {
  it.each(rows)('$name', (row) => {
    expect(evaluatePolicy(compilePolicy(row.policy, row.kind ?? 'key'), row.request)).toEqual(row.expected);
  });
}
