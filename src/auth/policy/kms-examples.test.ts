/**
 * Key and IAM policy patterns from the AWS KMS developer guide (key-policy-default, key-policy-overview,
 * conditions-kms, key-policy-modifying-external-accounts, cmks-in-iam-policies), written out as our own
 * documents with the example account and evaluated at the policy-language level.
 */
import { describe } from 'vitest';
import {
  ACCOUNT,
  ALLOWED,
  DENIED,
  KEY_ARN,
  NONE,
  OTHER_ACCOUNT,
  VIA_ACCOUNT,
  adminSession,
  alice,
  bob,
  carol,
  policy,
  request,
  runRows,
} from '../../../test/helpers/policy-fixtures.js';

const ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/ops/Admin`;

/** The console's key policy shape: account root, key administrators (a role), key users (Alice). */
const CONSOLE_STYLE_KEY_POLICY = policy(
  {
    Sid: 'Enable IAM User Permissions',
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
    Action: 'kms:*',
    Resource: '*',
  },
  {
    Sid: 'Allow access for Key Administrators',
    Effect: 'Allow',
    Principal: { AWS: ADMIN_ROLE },
    Action: [
      'kms:Create*',
      'kms:Describe*',
      'kms:Enable*',
      'kms:List*',
      'kms:Put*',
      'kms:Update*',
      'kms:Revoke*',
      'kms:Disable*',
      'kms:Get*',
      'kms:Delete*',
      'kms:TagResource',
      'kms:UntagResource',
      'kms:ScheduleKeyDeletion',
      'kms:CancelKeyDeletion',
    ],
    Resource: '*',
  },
  {
    Sid: 'Allow use of the key',
    Effect: 'Allow',
    Principal: { AWS: alice.arn },
    Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
    Resource: '*',
  },
  {
    Sid: 'Allow attachment of persistent resources',
    Effect: 'Allow',
    Principal: { AWS: alice.arn },
    Action: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
    Resource: '*',
    Condition: { Bool: { 'kms:GrantIsForAWSResource': true } },
  },
);

describe('key administrators and key users', () => {
  runRows([
    {
      name: 'an administrator session may schedule deletion',
      policy: CONSOLE_STYLE_KEY_POLICY,
      request: request(adminSession(), 'kms:ScheduleKeyDeletion'),
      expected: { ...VIA_ACCOUNT, allowed: true },
    },
    {
      name: 'an administrator may put the key policy (kms:Put*)',
      policy: CONSOLE_STYLE_KEY_POLICY,
      request: request(adminSession(), 'kms:PutKeyPolicy'),
      expected: { ...VIA_ACCOUNT, allowed: true },
    },
    {
      name: 'an administrator may not decrypt by the key policy alone',
      policy: CONSOLE_STYLE_KEY_POLICY,
      request: request(adminSession(), 'kms:Decrypt'),
      expected: VIA_ACCOUNT,
    },
    {
      name: 'a key user may decrypt',
      policy: CONSOLE_STYLE_KEY_POLICY,
      request: request(alice, 'kms:Decrypt'),
      expected: { ...VIA_ACCOUNT, allowed: true },
    },
    {
      name: 'a key user may GenerateDataKeyWithoutPlaintext',
      policy: CONSOLE_STYLE_KEY_POLICY,
      request: request(alice, 'kms:GenerateDataKeyWithoutPlaintext'),
      expected: { ...VIA_ACCOUNT, allowed: true },
    },
    {
      name: 'a key user may not disable the key except through IAM',
      policy: CONSOLE_STYLE_KEY_POLICY,
      request: request(alice, 'kms:DisableKey'),
      expected: VIA_ACCOUNT,
    },
    {
      name: 'a key user may create a grant for an AWS resource',
      policy: CONSOLE_STYLE_KEY_POLICY,
      request: request(alice, 'kms:CreateGrant', { 'kms:GrantIsForAWSResource': true }),
      expected: { ...VIA_ACCOUNT, allowed: true },
    },
    {
      name: 'a key user may not create a grant for itself (GrantIsForAWSResource false)',
      policy: CONSOLE_STYLE_KEY_POLICY,
      request: request(alice, 'kms:CreateGrant', { 'kms:GrantIsForAWSResource': false }),
      expected: VIA_ACCOUNT,
    },
    {
      name: 'another user of the account gets only delegation',
      policy: CONSOLE_STYLE_KEY_POLICY,
      request: request(carol, 'kms:Decrypt'),
      expected: VIA_ACCOUNT,
    },
  ]);
});

describe('encryption context conditions (conditions-kms)', () => {
  const requireContext = policy({
    Effect: 'Allow',
    Principal: { AWS: alice.arn },
    Action: ['kms:Encrypt', 'kms:Decrypt'],
    Resource: '*',
    Condition: { StringEquals: { 'kms:EncryptionContext:AppName': 'ExampleApp' } },
  });
  const onlyTheseKeys = policy({
    Effect: 'Allow',
    Principal: { AWS: alice.arn },
    Action: 'kms:GenerateDataKey',
    Resource: '*',
    Condition: {
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['Purpose', 'Department'] },
      Null: { 'kms:EncryptionContextKeys': false },
    },
  });
  const denyWithoutContext = policy(
    { Effect: 'Allow', Principal: { AWS: alice.arn }, Action: 'kms:Decrypt', Resource: '*' },
    { Effect: 'Deny', Principal: '*', Action: 'kms:Decrypt', Resource: '*', Condition: { Null: { 'kms:EncryptionContextKeys': true } } },
  );
  runRows([
    {
      name: 'the required pair is present',
      policy: requireContext,
      request: request(alice, 'kms:Decrypt', { 'kms:EncryptionContext:AppName': 'ExampleApp', 'kms:EncryptionContextKeys': ['AppName'] }),
      expected: ALLOWED,
    },
    {
      name: 'the value differs in case',
      policy: requireContext,
      request: request(alice, 'kms:Decrypt', { 'kms:EncryptionContext:AppName': 'exampleapp' }),
      expected: NONE,
    },
    { name: 'no encryption context', policy: requireContext, request: request(alice, 'kms:Decrypt'), expected: NONE },
    {
      name: 'ForAllValues: only allowed keys',
      policy: onlyTheseKeys,
      request: request(alice, 'kms:GenerateDataKey', { 'kms:EncryptionContextKeys': ['Purpose'] }),
      expected: ALLOWED,
    },
    {
      name: 'ForAllValues: an extra key',
      policy: onlyTheseKeys,
      request: request(alice, 'kms:GenerateDataKey', { 'kms:EncryptionContextKeys': ['Purpose', 'Owner'] }),
      expected: NONE,
    },
    {
      name: 'ForAllValues with Null false: no context at all is refused',
      policy: onlyTheseKeys,
      request: request(alice, 'kms:GenerateDataKey'),
      expected: NONE,
    },
    {
      name: 'Deny when no encryption context',
      policy: denyWithoutContext,
      request: request(alice, 'kms:Decrypt'),
      expected: { ...ALLOWED, explicitDeny: true },
    },
    {
      name: 'no Deny with an encryption context',
      policy: denyWithoutContext,
      request: request(alice, 'kms:Decrypt', { 'kms:EncryptionContextKeys': ['a'] }),
      expected: ALLOWED,
    },
  ]);
});

describe('kms:ViaService, kms:CallerAccount and the lockout-bypass key', () => {
  const viaService = policy({
    Effect: 'Allow',
    Principal: { AWS: '*' },
    Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
    Resource: '*',
    Condition: { StringEquals: { 'kms:ViaService': 'ec2.us-west-2.amazonaws.com', 'kms:CallerAccount': ACCOUNT } },
  });
  const denyDirect = policy(
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
    {
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringNotEquals: { 'kms:ViaService': 'rds.us-west-2.amazonaws.com' } },
    },
  );
  const noBypass = policy({
    Effect: 'Allow',
    Principal: { AWS: ADMIN_ROLE },
    Action: 'kms:PutKeyPolicy',
    Resource: '*',
    Condition: { Bool: { 'kms:BypassPolicyLockoutSafetyCheck': false } },
  });
  runRows([
    {
      name: 'through EC2 from the account',
      policy: viaService,
      request: request(alice, 'kms:Decrypt', { 'kms:ViaService': 'ec2.us-west-2.amazonaws.com', 'kms:CallerAccount': ACCOUNT }),
      expected: ALLOWED,
    },
    {
      name: 'direct call (no kms:ViaService)',
      policy: viaService,
      request: request(alice, 'kms:Decrypt', { 'kms:CallerAccount': ACCOUNT }),
      expected: NONE,
    },
    {
      name: 'through EC2 from another account',
      policy: viaService,
      request: request(bob, 'kms:Decrypt', { 'kms:ViaService': 'ec2.us-west-2.amazonaws.com', 'kms:CallerAccount': OTHER_ACCOUNT }),
      expected: NONE,
    },
    {
      name: 'Deny unless via RDS: a direct call is denied',
      policy: denyDirect,
      request: request(alice, 'kms:Decrypt', { 'kms:CallerAccount': ACCOUNT }),
      expected: { ...VIA_ACCOUNT, explicitDeny: true },
    },
    {
      name: 'Deny unless via RDS: via RDS passes',
      policy: denyDirect,
      request: request(alice, 'kms:Decrypt', { 'kms:ViaService': 'rds.us-west-2.amazonaws.com' }),
      expected: VIA_ACCOUNT,
    },
    {
      name: 'PutKeyPolicy without bypass',
      policy: noBypass,
      request: request(adminSession(), 'kms:PutKeyPolicy', { 'kms:BypassPolicyLockoutSafetyCheck': false }),
      expected: ALLOWED,
    },
    {
      name: 'PutKeyPolicy with bypass',
      policy: noBypass,
      request: request(adminSession(), 'kms:PutKeyPolicy', { 'kms:BypassPolicyLockoutSafetyCheck': true }),
      expected: NONE,
    },
  ]);
});

describe('cross-account use (key-policy-modifying-external-accounts)', () => {
  const keyPolicy = policy(
    {
      Sid: 'Enable IAM User Permissions',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
    {
      Sid: 'Allow an external account to use this KMS key',
      Effect: 'Allow',
      Principal: { AWS: [`arn:aws:iam::${OTHER_ACCOUNT}:root`] },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      Resource: '*',
    },
  );
  const externalIdentityPolicy = policy({ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: KEY_ARN });
  runRows([
    {
      name: 'the key policy delegates to the external account',
      policy: keyPolicy,
      request: request(bob, 'kms:Decrypt'),
      expected: VIA_ACCOUNT,
    },
    {
      name: 'the external account gets nothing beyond the listed actions',
      policy: keyPolicy,
      request: request(bob, 'kms:ScheduleKeyDeletion'),
      expected: NONE,
    },
    {
      name: "the external user's IAM policy allows the key ARN",
      kind: 'identity',
      policy: externalIdentityPolicy,
      request: request(bob, 'kms:Decrypt'),
      expected: ALLOWED,
    },
    {
      name: "the external user's IAM policy does not cover another action",
      kind: 'identity',
      policy: externalIdentityPolicy,
      request: request(bob, 'kms:GenerateDataKey'),
      expected: NONE,
    },
  ]);
});

describe('deny by source IP (aws:SourceIp with aws:ViaAWSService)', () => {
  const ipPolicy = policy(
    { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
    {
      Effect: 'Deny',
      Principal: '*',
      Action: 'kms:*',
      Resource: '*',
      Condition: { NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24'] }, Bool: { 'aws:ViaAWSService': 'false' } },
    },
  );
  runRows([
    {
      name: 'from inside the range',
      policy: ipPolicy,
      request: request(alice, 'kms:Encrypt', { 'aws:SourceIp': '203.0.113.5', 'aws:ViaAWSService': false }),
      expected: VIA_ACCOUNT,
    },
    {
      name: 'from outside the range',
      policy: ipPolicy,
      request: request(alice, 'kms:Encrypt', { 'aws:SourceIp': '198.51.100.5', 'aws:ViaAWSService': false }),
      expected: { ...VIA_ACCOUNT, explicitDeny: true },
    },
    {
      name: 'from outside the range, through an AWS service',
      policy: ipPolicy,
      request: request(alice, 'kms:Encrypt', { 'aws:SourceIp': '198.51.100.5', 'aws:ViaAWSService': true }),
      expected: VIA_ACCOUNT,
    },
    {
      name: 'from outside the range, aws:ViaAWSService not given (kmsd: false)',
      policy: ipPolicy,
      request: request(alice, 'kms:Encrypt', { 'aws:SourceIp': '198.51.100.5' }),
      expected: { ...VIA_ACCOUNT, explicitDeny: true },
    },
    {
      name: 'IPv6 loopback is outside an IPv4 range',
      policy: ipPolicy,
      request: request(alice, 'kms:Encrypt', { 'aws:SourceIp': '::1', 'aws:ViaAWSService': false }),
      expected: { ...VIA_ACCOUNT, explicitDeny: true },
    },
  ]);
});

describe('IAM policies for KMS (cmks-in-iam-policies, iam-policies-best-practices)', () => {
  const createKeyOnly = policy({ Effect: 'Allow', Action: ['kms:CreateKey', 'kms:ListKeys', 'kms:ListAliases'], Resource: '*' });
  const keysInRegion = policy({
    Effect: 'Allow',
    Action: ['kms:Encrypt', 'kms:Decrypt'],
    Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/*`,
  });
  const denySecureTransport = policy({
    Effect: 'Deny',
    Action: 'kms:*',
    Resource: '*',
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  });
  runRows([
    {
      name: 'CreateKey with Resource "*"',
      kind: 'identity',
      policy: createKeyOnly,
      request: request(alice, 'kms:CreateKey', { 'kms:KeySpec': 'SYMMETRIC_DEFAULT' }, '*'),
      expected: ALLOWED,
    },
    { name: 'keys of one Region', kind: 'identity', policy: keysInRegion, request: request(alice, 'kms:Encrypt'), expected: ALLOWED },
    {
      name: 'keys of another Region',
      kind: 'identity',
      policy: keysInRegion,
      request: request(alice, 'kms:Encrypt', {}, KEY_ARN.replace('us-east-1', 'eu-west-1')),
      expected: NONE,
    },
    {
      name: 'a key id is not a key ARN',
      kind: 'identity',
      policy: keysInRegion,
      request: request(alice, 'kms:Encrypt', {}, '1234abcd-12ab-34cd-56ef-1234567890ab'),
      expected: NONE,
    },
    {
      name: 'plain HTTP is denied',
      kind: 'identity',
      policy: denySecureTransport,
      request: request(alice, 'kms:Encrypt', { 'aws:SecureTransport': false }),
      expected: DENIED,
    },
    {
      name: 'TLS is not denied',
      kind: 'identity',
      policy: denySecureTransport,
      request: request(alice, 'kms:Encrypt', { 'aws:SecureTransport': true }),
      expected: NONE,
    },
  ]);
});
