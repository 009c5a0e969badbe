import { describe } from 'vitest';
import { defaultKeyPolicy } from '../../kms/keys.js';
import {
  ACCOUNT,
  ALIAS_ARN,
  ALLOWED,
  DENIED,
  KEY_ARN,
  NONE,
  OTHER_ACCOUNT,
  VIA_ACCOUNT,
  adminSession,
  alice,
  auditorSession,
  bob,
  carol,
  otherRoot,
  policy,
  request,
  root,
  runRows,
} from '../../../test/helpers/policy-fixtures.js';

const allowTo = (principal: unknown, extra: object = {}): string =>
  policy({ Effect: 'Allow', Principal: principal, Action: 'kms:*', Resource: '*', ...extra });

const DEFAULT_KEY_POLICY = defaultKeyPolicy(ACCOUNT);

describe('Principal matching (spec §2.2)', () => {
  runRows([
    {
      name: 'default policy: root user through its account',
      policy: DEFAULT_KEY_POLICY,
      request: request(root, 'kms:Encrypt'),
      expected: VIA_ACCOUNT,
    },
    {
      name: 'default policy: IAM user through its account',
      policy: DEFAULT_KEY_POLICY,
      request: request(alice, 'kms:Encrypt'),
      expected: VIA_ACCOUNT,
    },
    {
      name: 'default policy: role session through its account',
      policy: DEFAULT_KEY_POLICY,
      request: request(adminSession(), 'kms:Decrypt'),
      expected: VIA_ACCOUNT,
    },
    {
      name: 'default policy: another account is not covered',
      policy: DEFAULT_KEY_POLICY,
      request: request(bob, 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'bare account id equals the root ARN',
      policy: allowTo({ AWS: ACCOUNT }),
      request: request(alice, 'kms:Encrypt'),
      expected: VIA_ACCOUNT,
    },
    {
      name: 'account id in a list',
      policy: allowTo({ AWS: [OTHER_ACCOUNT, ACCOUNT] }),
      request: request(carol, 'kms:Encrypt'),
      expected: VIA_ACCOUNT,
    },
    {
      name: 'root ARN of another partition does not match',
      policy: allowTo({ AWS: `arn:aws-cn:iam::${ACCOUNT}:root` }),
      request: request(alice, 'kms:Encrypt'),
      expected: NONE,
    },
    { name: 'user ARN names that user', policy: allowTo({ AWS: alice.arn }), request: request(alice, 'kms:Encrypt'), expected: ALLOWED },
    {
      name: 'user ARN does not name another user',
      policy: allowTo({ AWS: alice.arn }),
      request: request(carol, 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'user ARN does not name the root user',
      policy: allowTo({ AWS: alice.arn }),
      request: request(root, 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'principal ARNs are compared as written (case-sensitive)',
      policy: allowTo({ AWS: `arn:aws:iam::${ACCOUNT}:user/alice` }),
      request: request(alice, 'kms:Encrypt'),
      expected: NONE,
    },
    { name: 'user ARN with a path', policy: allowTo({ AWS: carol.arn }), request: request(carol, 'kms:Encrypt'), expected: ALLOWED },
    {
      name: 'user ARN without the path is another user',
      policy: allowTo({ AWS: `arn:aws:iam::${ACCOUNT}:user/Carol` }),
      request: request(carol, 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'role ARN covers a session',
      policy: allowTo({ AWS: `arn:aws:iam::${ACCOUNT}:role/ops/Admin` }),
      request: request(adminSession('one'), 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'role ARN covers every session',
      policy: allowTo({ AWS: `arn:aws:iam::${ACCOUNT}:role/ops/Admin` }),
      request: request(adminSession('two'), 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'role ARN does not cover another role',
      policy: allowTo({ AWS: `arn:aws:iam::${ACCOUNT}:role/ops/Admin` }),
      request: request(auditorSession, 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'session ARN covers that session only',
      policy: allowTo({ AWS: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/one` }),
      request: request(adminSession('one'), 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'session ARN does not cover another session',
      policy: allowTo({ AWS: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/one` }),
      request: request(adminSession('two'), 'kms:Encrypt'),
      expected: NONE,
    },
    { name: '"*" covers every caller', policy: allowTo('*'), request: request(bob, 'kms:Encrypt'), expected: ALLOWED },
    {
      name: '{"AWS": "*"} covers every caller',
      policy: allowTo({ AWS: '*' }),
      request: request(otherRoot, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'external account principal: delegation in that account',
      policy: allowTo({ AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }),
      request: request(bob, 'kms:Encrypt'),
      expected: VIA_ACCOUNT,
    },
    {
      name: 'external account principal: not this account',
      policy: allowTo({ AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }),
      request: request(alice, 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'service principal never covers an IAM caller',
      policy: allowTo({ Service: 'logs.amazonaws.com' }),
      request: request(alice, 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'both the user and its account named: both flags',
      policy: policy(
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
        { Effect: 'Allow', Principal: { AWS: alice.arn }, Action: 'kms:Encrypt', Resource: '*' },
      ),
      request: request(alice, 'kms:Encrypt'),
      expected: { explicitDeny: false, allowed: true, allowedViaAccount: true },
    },
  ]);
});

describe('Deny and NotPrincipal', () => {
  runRows([
    {
      name: 'Deny overrides an Allow in the same policy (both reported)',
      policy: policy(
        { Effect: 'Allow', Principal: { AWS: alice.arn }, Action: 'kms:*', Resource: '*' },
        { Effect: 'Deny', Principal: '*', Action: 'kms:Decrypt', Resource: '*' },
      ),
      request: request(alice, 'kms:Decrypt'),
      expected: { explicitDeny: true, allowed: true, allowedViaAccount: false },
    },
    {
      name: 'Deny for another action does not apply',
      policy: policy({ Effect: 'Deny', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }),
      request: request(alice, 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'Deny to the account principal applies to its users',
      policy: policy({ Effect: 'Deny', Principal: { AWS: ACCOUNT }, Action: 'kms:ScheduleKeyDeletion', Resource: '*' }),
      request: request(alice, 'kms:ScheduleKeyDeletion'),
      expected: DENIED,
    },
    {
      name: 'Deny to the account principal applies to the root user',
      policy: policy({ Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }),
      request: request(root, 'kms:DisableKey'),
      expected: DENIED,
    },
    {
      name: 'Deny NotPrincipal: a listed user (with its account) is exempt',
      policy: policy({ Effect: 'Deny', NotPrincipal: { AWS: [alice.arn, ACCOUNT] }, Action: 'kms:*', Resource: '*' }),
      request: request(alice, 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'Deny NotPrincipal: an unlisted user is denied',
      policy: policy({ Effect: 'Deny', NotPrincipal: { AWS: [alice.arn, ACCOUNT] }, Action: 'kms:*', Resource: '*' }),
      request: request(carol, 'kms:Encrypt'),
      expected: DENIED,
    },
    {
      name: 'Deny NotPrincipal: the user listed without its account is still denied',
      policy: policy({ Effect: 'Deny', NotPrincipal: { AWS: alice.arn }, Action: 'kms:*', Resource: '*' }),
      request: request(alice, 'kms:Encrypt'),
      expected: DENIED,
    },
    {
      name: 'Deny NotPrincipal: account, role and session listed exempt the session',
      policy: policy({
        Effect: 'Deny',
        NotPrincipal: { AWS: [ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/ops/Admin`, `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/one`] },
        Action: 'kms:*',
        Resource: '*',
      }),
      request: request(adminSession('one'), 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'Deny NotPrincipal: account and role without the session deny the session',
      policy: policy({
        Effect: 'Deny',
        NotPrincipal: { AWS: [ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/ops/Admin`] },
        Action: 'kms:*',
        Resource: '*',
      }),
      request: request(adminSession('one'), 'kms:Encrypt'),
      expected: DENIED,
    },
    {
      name: 'Deny NotPrincipal: the account alone exempts the root user',
      policy: policy({ Effect: 'Deny', NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }),
      request: request(root, 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'Deny NotPrincipal: another account is denied',
      policy: policy({ Effect: 'Deny', NotPrincipal: { AWS: ACCOUNT }, Action: 'kms:*', Resource: '*' }),
      request: request(bob, 'kms:Encrypt'),
      expected: DENIED,
    },
    {
      name: 'Allow NotPrincipal: everyone not listed is allowed',
      policy: policy({ Effect: 'Allow', NotPrincipal: { AWS: [alice.arn, ACCOUNT] }, Action: 'kms:*', Resource: '*' }),
      request: request(carol, 'kms:Encrypt'),
      expected: ALLOWED,
    },
  ]);
});

describe('Action and NotAction', () => {
  const allowAlice = (action: unknown, field = 'Action'): string =>
    policy({ Effect: 'Allow', Principal: { AWS: alice.arn }, [field]: action, Resource: '*' });
  runRows([
    { name: 'exact action', policy: allowAlice('kms:Encrypt'), request: request(alice, 'kms:Encrypt'), expected: ALLOWED },
    { name: 'another action', policy: allowAlice('kms:Encrypt'), request: request(alice, 'kms:Decrypt'), expected: NONE },
    {
      name: 'action names are case-insensitive (policy side)',
      policy: allowAlice('KMS:encrypt'),
      request: request(alice, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'action names are case-insensitive (request side)',
      policy: allowAlice('kms:Encrypt'),
      request: request(alice, 'KMS:ENCRYPT'),
      expected: ALLOWED,
    },
    {
      name: 'kms:Get* covers GetKeyPolicy',
      policy: allowAlice('kms:Get*'),
      request: request(alice, 'kms:GetKeyPolicy'),
      expected: ALLOWED,
    },
    {
      name: 'kms:Get* does not cover GenerateDataKey',
      policy: allowAlice('kms:Get*'),
      request: request(alice, 'kms:GenerateDataKey'),
      expected: NONE,
    },
    {
      name: 'kms:ReEncrypt* covers ReEncryptFrom',
      policy: allowAlice('kms:ReEncrypt*'),
      request: request(alice, 'kms:ReEncryptFrom'),
      expected: ALLOWED,
    },
    { name: '? stands for one character', policy: allowAlice('kms:?ncrypt'), request: request(alice, 'kms:Encrypt'), expected: ALLOWED },
    { name: '? does not stand for two', policy: allowAlice('kms:?crypt'), request: request(alice, 'kms:Decrypt'), expected: NONE },
    { name: '"*" covers every service', policy: allowAlice('*'), request: request(alice, 'cloudhsm:CreateCluster'), expected: ALLOWED },
    {
      name: 'kms:* does not cover another service',
      policy: allowAlice('kms:*'),
      request: request(alice, 'cloudhsm:CreateCluster'),
      expected: NONE,
    },
    {
      name: 'a list of actions',
      policy: allowAlice(['kms:Decrypt', 'kms:Encrypt']),
      request: request(alice, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'NotAction: an action not listed',
      policy: allowAlice('kms:Decrypt', 'NotAction'),
      request: request(alice, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'NotAction: the listed action',
      policy: allowAlice(['kms:Decrypt', 'kms:Sign'], 'NotAction'),
      request: request(alice, 'kms:Decrypt'),
      expected: NONE,
    },
    {
      name: 'NotAction with a wildcard',
      policy: allowAlice('kms:Schedule*', 'NotAction'),
      request: request(alice, 'kms:ScheduleKeyDeletion'),
      expected: NONE,
    },
  ]);
});

describe('Resource and NotResource (identity policies)', () => {
  const identity = (resource: unknown, field = 'Resource'): string => policy({ Effect: 'Allow', Action: 'kms:*', [field]: resource });
  runRows([
    {
      name: 'identity policy Allow: no Principal needed',
      kind: 'identity',
      policy: identity(KEY_ARN),
      request: request(alice, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'another key ARN',
      kind: 'identity',
      policy: identity(`arn:aws:kms:us-east-1:${ACCOUNT}:key/other`),
      request: request(alice, 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: '"*" covers every resource',
      kind: 'identity',
      policy: identity('*'),
      request: request(alice, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: '"*" covers actions without a resource',
      kind: 'identity',
      policy: identity('*'),
      request: request(alice, 'kms:CreateKey', {}, '*'),
      expected: ALLOWED,
    },
    {
      name: 'a key pattern does not cover "no resource"',
      kind: 'identity',
      policy: identity(`arn:aws:kms:*:${ACCOUNT}:key/*`),
      request: request(alice, 'kms:CreateKey', {}, '*'),
      expected: NONE,
    },
    {
      name: 'wildcards within segments',
      kind: 'identity',
      policy: identity(`arn:aws:kms:*:${ACCOUNT}:key/*`),
      request: request(alice, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'a region wildcard does not cross into the account',
      kind: 'identity',
      policy: identity(`arn:aws:kms:*:${OTHER_ACCOUNT}:key/*`),
      request: request(alice, 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'key/* does not cover an alias ARN',
      kind: 'identity',
      policy: identity(`arn:aws:kms:*:${ACCOUNT}:key/*`),
      request: request(alice, 'kms:CreateAlias', {}, ALIAS_ARN),
      expected: NONE,
    },
    {
      name: 'alias ARN pattern',
      kind: 'identity',
      policy: identity(`arn:aws:kms:us-east-1:${ACCOUNT}:alias/ap?`),
      request: request(alice, 'kms:CreateAlias', {}, ALIAS_ARN),
      expected: ALLOWED,
    },
    {
      name: 'a short pattern covers the rest',
      kind: 'identity',
      policy: identity('arn:aws:kms:*'),
      request: request(alice, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'resource ARNs are case-sensitive',
      kind: 'identity',
      policy: identity(KEY_ARN.toUpperCase().replace('ARN:AWS:KMS', 'arn:aws:kms')),
      request: request(alice, 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'NotResource: another resource',
      kind: 'identity',
      policy: identity(`arn:aws:kms:*:${ACCOUNT}:alias/*`, 'NotResource'),
      request: request(alice, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'NotResource: the listed resource',
      kind: 'identity',
      policy: identity(KEY_ARN, 'NotResource'),
      request: request(alice, 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'identity policy Deny',
      kind: 'identity',
      policy: policy({ Effect: 'Deny', Action: 'kms:Decrypt', Resource: '*' }),
      request: request(alice, 'kms:Decrypt'),
      expected: DENIED,
    },
  ]);
});

describe('trust and resource policies', () => {
  const trust = policy({ Effect: 'Allow', Principal: { AWS: alice.arn }, Action: 'sts:AssumeRole' });
  runRows([
    {
      name: 'trust policy names the caller',
      kind: 'trust',
      policy: trust,
      request: request(alice, 'sts:AssumeRole', {}, `arn:aws:iam::${ACCOUNT}:role/Admin`),
      expected: ALLOWED,
    },
    {
      name: 'trust policy: another caller',
      kind: 'trust',
      policy: trust,
      request: request(carol, 'sts:AssumeRole', {}, `arn:aws:iam::${ACCOUNT}:role/Admin`),
      expected: NONE,
    },
    {
      name: 'trust policy naming an account',
      kind: 'trust',
      policy: policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER_ACCOUNT}:root` }, Action: 'sts:AssumeRole' }),
      request: request(bob, 'sts:AssumeRole', {}, `arn:aws:iam::${ACCOUNT}:role/Admin`),
      expected: VIA_ACCOUNT,
    },
    {
      name: 'backup resource policy sharing with an account',
      kind: 'resource',
      policy: policy({
        Effect: 'Allow',
        Principal: { AWS: OTHER_ACCOUNT },
        Action: ['cloudhsm:CreateCluster', 'cloudhsm:DescribeBackups'],
      }),
      request: request(bob, 'cloudhsm:CreateCluster', {}, `arn:aws:cloudhsm:us-east-1:${ACCOUNT}:backup/backup-abcdefghijk`),
      expected: VIA_ACCOUNT,
    },
  ]);
});

describe('policy variables', () => {
  const aliasFor = (pattern: string, version = '2012-10-17'): string =>
    JSON.stringify({
      Version: version,
      Statement: [{ Effect: 'Allow', Action: 'kms:CreateAlias', Resource: `arn:aws:kms:*:${ACCOUNT}:alias/${pattern}` }],
    });
  const aliasRequest = (who = alice, name = 'Alice-app') =>
    request(who, 'kms:CreateAlias', {}, `arn:aws:kms:us-east-1:${ACCOUNT}:alias/${name}`);
  const condition = (cond: object, version = '2012-10-17'): string =>
    JSON.stringify({ Version: version, Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*', Condition: cond }] });
  runRows([
    {
      name: '${aws:username} in Resource',
      kind: 'identity',
      policy: aliasFor('${aws:username}-*'),
      request: aliasRequest(),
      expected: ALLOWED,
    },
    {
      name: '${aws:username} of another user',
      kind: 'identity',
      policy: aliasFor('${aws:username}-*'),
      request: aliasRequest(carol),
      expected: NONE,
    },
    {
      name: 'variable names are case-insensitive',
      kind: 'identity',
      policy: aliasFor('${AWS:UserName}-*'),
      request: aliasRequest(),
      expected: ALLOWED,
    },
    {
      name: 'no username (role session): the Resource matches nothing',
      kind: 'identity',
      policy: aliasFor('${aws:username}-*'),
      request: aliasRequest(adminSession(), '-app'),
      expected: NONE,
    },
    {
      name: 'Version 2008-10-17: the text is literal',
      kind: 'identity',
      policy: aliasFor('${aws:username}-*', '2008-10-17'),
      request: aliasRequest(),
      expected: NONE,
    },
    {
      name: 'Version 2008-10-17: the literal text matches itself',
      kind: 'identity',
      policy: aliasFor('${aws:username}-*', '2008-10-17'),
      request: aliasRequest(alice, '${aws:username}-x'),
      expected: ALLOWED,
    },
    {
      name: '${aws:PrincipalTag/team} (tag key case-insensitive)',
      kind: 'identity',
      policy: aliasFor('${aws:PrincipalTag/team}/*'),
      request: aliasRequest(alice, 'blue/x'),
      expected: ALLOWED,
    },
    {
      name: 'default value when the key is absent',
      kind: 'identity',
      policy: aliasFor("${aws:PrincipalTag/project, 'shared'}/*"),
      request: aliasRequest(alice, 'shared/x'),
      expected: ALLOWED,
    },
    {
      name: 'default value not used when the key is present',
      kind: 'identity',
      policy: aliasFor("${aws:PrincipalTag/Team, 'shared'}/*"),
      request: aliasRequest(alice, 'shared/x'),
      expected: NONE,
    },
    { name: '${*} is a literal star', kind: 'identity', policy: aliasFor('a${*}'), request: aliasRequest(alice, 'a*'), expected: ALLOWED },
    { name: '${*} is not a wildcard', kind: 'identity', policy: aliasFor('a${*}'), request: aliasRequest(alice, 'abc'), expected: NONE },
    {
      name: '${?} and ${$} are literals',
      kind: 'identity',
      policy: aliasFor('q${?}${$}'),
      request: aliasRequest(alice, 'q?$'),
      expected: ALLOWED,
    },
    {
      name: 'a substituted value is literal, not a wildcard',
      kind: 'identity',
      policy: aliasFor('${aws:PrincipalTag/x}'),
      request: request({ ...alice, tags: { x: '*' } }, 'kms:CreateAlias', {}, ALIAS_ARN),
      expected: NONE,
    },
    {
      name: 'variables are not substituted before the resource part',
      kind: 'identity',
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: 'arn:aws:kms:*:${aws:PrincipalAccount}:key/*' }],
      }),
      request: request(alice, 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'StringEquals with ${aws:userid}',
      kind: 'identity',
      policy: condition({ StringEquals: { 'kms:EncryptionContext:owner': '${aws:userid}' } }),
      request: request(alice, 'kms:Encrypt', { 'kms:EncryptionContext:owner': alice.userId }),
      expected: ALLOWED,
    },
    {
      name: 'StringEquals with ${aws:userid} of someone else',
      kind: 'identity',
      policy: condition({ StringEquals: { 'kms:EncryptionContext:owner': '${aws:userid}' } }),
      request: request(alice, 'kms:Encrypt', { 'kms:EncryptionContext:owner': carol.userId }),
      expected: NONE,
    },
    {
      name: 'StringNotEquals with an absent variable matches',
      kind: 'identity',
      policy: condition({ StringNotEquals: { 'kms:EncryptionContext:owner': '${aws:username}' } }),
      request: request(root, 'kms:Encrypt', { 'kms:EncryptionContext:owner': 'x' }),
      expected: ALLOWED,
    },
    {
      name: 'ArnLike with ${aws:PrincipalAccount}',
      kind: 'identity',
      policy: condition({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::${aws:PrincipalAccount}:user/*' } }),
      request: request(alice, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'variables are literal in Numeric operators',
      kind: 'identity',
      policy: condition({ NumericEquals: { 'kms:x': '${kms:y}' } }),
      request: request(alice, 'kms:Encrypt', { 'kms:x': 1, 'kms:y': 1 }),
      expected: NONE,
    },
  ]);
});

describe('principal-derived condition keys', () => {
  const withCondition = (cond: object): string =>
    policy({ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*', Condition: cond });
  runRows([
    {
      name: 'aws:PrincipalArn of a role session is the role ARN',
      policy: withCondition({ ArnEquals: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/ops/Admin` } }),
      request: request(adminSession(), 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'aws:PrincipalArn of a role session is not the session ARN',
      policy: withCondition({ StringEquals: { 'aws:PrincipalArn': adminSession().arn } }),
      request: request(adminSession(), 'kms:Encrypt'),
      expected: NONE,
    },
    {
      name: 'aws:PrincipalArn of a user',
      policy: withCondition({ StringEquals: { 'aws:PrincipalArn': alice.arn } }),
      request: request(alice, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'the context cannot override aws:PrincipalArn',
      policy: withCondition({ StringEquals: { 'aws:PrincipalArn': alice.arn } }),
      request: request(carol, 'kms:Encrypt', { 'aws:PrincipalArn': alice.arn }),
      expected: NONE,
    },
    {
      name: 'aws:PrincipalAccount',
      policy: withCondition({ StringEquals: { 'aws:PrincipalAccount': OTHER_ACCOUNT } }),
      request: request(bob, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'aws:PrincipalType User',
      policy: withCondition({ StringEquals: { 'aws:PrincipalType': 'User' } }),
      request: request(alice, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'aws:PrincipalType AssumedRole',
      policy: withCondition({ StringEquals: { 'aws:PrincipalType': 'AssumedRole' } }),
      request: request(adminSession(), 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'aws:PrincipalType Account',
      policy: withCondition({ StringEquals: { 'aws:PrincipalType': 'Account' } }),
      request: request(root, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'aws:username is absent for a role session',
      policy: withCondition({ Null: { 'aws:username': 'true' } }),
      request: request(adminSession(), 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'aws:username of a user',
      policy: withCondition({ StringEquals: { 'aws:username': 'Alice' } }),
      request: request(alice, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'aws:userid of a role session',
      policy: withCondition({ StringLike: { 'aws:userid': 'AROAEXAMPLEADMIN0001:*' } }),
      request: request(adminSession(), 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'aws:userid of the root user is the account id',
      policy: withCondition({ StringEquals: { 'aws:userid': ACCOUNT } }),
      request: request(root, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'aws:PrincipalTag/<key>, key case-insensitive',
      policy: withCondition({ StringEquals: { 'aws:PrincipalTag/TEAM': 'blue' } }),
      request: request(alice, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'aws:ViaAWSService is false unless the request says otherwise',
      policy: withCondition({ Bool: { 'aws:ViaAWSService': 'false', 'aws:PrincipalIsAWSService': 'false' } }),
      request: request(alice, 'kms:Encrypt'),
      expected: ALLOWED,
    },
    {
      name: 'aws:ViaAWSService given by the request',
      policy: withCondition({ Bool: { 'aws:ViaAWSService': 'false' } }),
      request: request(alice, 'kms:Encrypt', { 'aws:ViaAWSService': true }),
      expected: NONE,
    },
    {
      name: 'aws:PrincipalTag value is case-sensitive',
      policy: withCondition({ StringEquals: { 'aws:PrincipalTag/Team': 'Blue' } }),
      request: request(alice, 'kms:Encrypt'),
      expected: NONE,
    },
  ]);
});
