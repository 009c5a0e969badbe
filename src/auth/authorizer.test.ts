import { describe, expect, it } from 'vitest';
import { accessDeniedMessage, decideByIdentity, decideWithResourcePolicy } from './authorizer.js';
import { compilePolicy } from './policy/index.js';
import type { Principal } from './principal.js';

const A = '111122223333';
const B = '444455556666';
const KEY = `arn:aws:kms:us-east-1:${A}:key/11111111-2222-3333-4444-555555555555`;
const allowAll = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] });
const principal = (account: string, name: string, identityPolicies: string[] = [], sessionPolicy?: string): Principal => ({
  type: 'User',
  arn: `arn:aws:iam::${account}:user/${name}`,
  accountId: account,
  userId: 'AIDAX',
  userName: name,
  tags: {},
  identityPolicies,
  ...(sessionPolicy === undefined ? {} : { sessionPolicy }),
});
const keyPolicy = (statements: Record<string, unknown>[]) =>
  compilePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }), 'key');
const allowTo = (aws: string) => ({ Effect: 'Allow', Principal: { AWS: aws }, Action: 'kms:*', Resource: '*' });

async function decide(p: Principal, policy: ReturnType<typeof keyPolicy>, options: { crossAccount?: boolean; grant?: boolean } = {}) {
  return decideWithResourcePolicy({
    principal: p,
    action: 'kms:Encrypt',
    resource: KEY,
    context: {},
    policy,
    resourceAccount: A,
    crossAccount: options.crossAccount ?? true,
    grantAllows: async () => options.grant ?? false,
  });
}

describe('the decision', () => {
  it('same account: a direct allow needs no IAM; delegation needs IAM; a grant allows when policies do not', async () => {
    expect(await decide(principal(A, 'alice'), keyPolicy([allowTo(`arn:aws:iam::${A}:user/alice`)]))).toEqual({ allowed: true });
    const delegating = keyPolicy([allowTo(`arn:aws:iam::${A}:root`)]);
    expect(await decide(principal(A, 'bob'), delegating)).toEqual({ allowed: false, reason: 'no-identity-policy-allows' });
    expect(await decide(principal(A, 'bob', [allowAll]), delegating)).toEqual({ allowed: true });
    expect(await decide(principal(A, 'bob'), delegating, { grant: true })).toEqual({ allowed: true });
    expect(await decide(principal(A, 'bob'), keyPolicy([allowTo(`arn:aws:iam::${A}:user/alice`)]))).toEqual({
      allowed: false,
      reason: 'no-resource-policy-allows',
    });
  });

  it('explicit denies win over allows and grants; the key policy one is reported first', async () => {
    const deny = { Effect: 'Deny', Principal: '*', Action: 'kms:Encrypt', Resource: '*' };
    const denyIam = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'kms:*', Resource: '*' }] });
    const p = principal(A, 'bob', [allowAll, denyIam]);
    expect(await decide(p, keyPolicy([allowTo(`arn:aws:iam::${A}:root`), deny]), { grant: true })).toEqual({
      allowed: false,
      reason: 'explicit-deny-resource',
    });
    expect(await decide(p, keyPolicy([allowTo(`arn:aws:iam::${A}:root`)]), { grant: true })).toEqual({
      allowed: false,
      reason: 'explicit-deny-identity',
    });
  });

  it('cross-account: both sides must allow, and only for cross-account actions', async () => {
    const sharing = keyPolicy([allowTo(`arn:aws:iam::${A}:root`), allowTo(B)]);
    expect(await decide(principal(B, 'carol', [allowAll]), sharing)).toEqual({ allowed: true });
    expect(await decide(principal(B, 'dave'), sharing)).toEqual({ allowed: false, reason: 'no-identity-policy-allows' });
    expect(await decide(principal(B, 'carol', [allowAll]), sharing, { crossAccount: false })).toEqual({
      allowed: false,
      reason: 'no-resource-policy-allows',
    });
    expect(await decide(principal(B, 'carol', [allowAll]), keyPolicy([allowTo(`arn:aws:iam::${A}:root`)]))).toEqual({
      allowed: false,
      reason: 'no-resource-policy-allows',
    });
  });

  it('session policies restrict, identity-only actions need IAM except for the root', () => {
    const onlyDescribe = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'kms:DescribeKey', Resource: '*' }],
    });
    const q = (p: Principal) => ({ principal: p, action: 'kms:CreateKey', resource: '*', context: {} });
    expect(decideByIdentity(q(principal(A, 'bob', [allowAll], onlyDescribe)))).toEqual({
      allowed: false,
      reason: 'no-session-policy-allows',
    });
    expect(decideByIdentity(q(principal(A, 'bob')))).toEqual({ allowed: false, reason: 'no-identity-policy-allows' });
    const root: Principal = { type: 'Account', arn: `arn:aws:iam::${A}:root`, accountId: A, userId: A, tags: {}, identityPolicies: [] };
    expect(decideByIdentity(q(root))).toEqual({ allowed: true });
  });

  it('words refusals as AWS does', () => {
    expect(accessDeniedMessage('arn:aws:iam::1:user/u', 'kms:Encrypt', KEY, 'no-resource-policy-allows')).toBe(
      `User: arn:aws:iam::1:user/u is not authorized to perform: kms:Encrypt on resource: ${KEY} because no resource-based policy allows the kms:Encrypt action`,
    );
    expect(accessDeniedMessage('arn:aws:iam::1:user/u', 'kms:TagResource', undefined, 'no-identity-policy-allows')).toBe(
      'User: arn:aws:iam::1:user/u is not authorized to perform: kms:TagResource because no identity-based policy allows the kms:TagResource action',
    );
  });
});
