/** Every validation message, per policy kind, and the documents each kind accepts. */
import { describe, expect, it } from 'vitest';
import { compilePolicy, KEY_POLICY_MAX_BYTES, MalformedPolicyError, PolicyTooLargeError, type PolicyKind } from './index.js';
import { ACCOUNT, alice, policy } from '../../../test/helpers/policy-fixtures.js';

const INVALID_PRINCIPALS = 'Policy contains a statement with one or more invalid principals.';
const SYNTAX = 'Syntax errors in policy.';

const keyStatement = (extra: object = {}): object => ({
  Effect: 'Allow',
  Principal: { AWS: ACCOUNT },
  Action: 'kms:*',
  Resource: '*',
  ...extra,
});
const identityStatement = (extra: object = {}): object => ({ Effect: 'Allow', Action: 'kms:*', Resource: '*', ...extra });
const trustStatement = (extra: object = {}): object => ({
  Effect: 'Allow',
  Principal: { AWS: alice.arn },
  Action: 'sts:AssumeRole',
  ...extra,
});
const without = (statement: object, field: string): object => Object.fromEntries(Object.entries(statement).filter(([k]) => k !== field));

type Row = [name: string, kind: PolicyKind, text: string, message: string];

function expectRejected(kind: PolicyKind, text: string, message: string): void {
  let thrown: unknown;
  try {
    compilePolicy(text, kind);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(MalformedPolicyError);
  expect((thrown as MalformedPolicyError).message).toBe(message);
}

describe('documents every kind rejects', () => {
  const rows: Row[] = [
    // AWS answered "not a real policy statement" with an empty message (aws/aws-sdk-ruby#1784).
    ['key policy that is not JSON', 'key', 'not a real policy statement', ''],
    ['key policy that is a JSON array', 'key', '[]', ''],
    ['identity policy that is not JSON', 'identity', '{"Version":', SYNTAX],
    ['trust policy that is JSON null', 'trust', 'null', SYNTAX],
    ['unknown top-level element', 'key', JSON.stringify({ Version: '2012-10-17', Statement: [keyStatement()], Condition: {} }), SYNTAX],
    ['unknown statement element', 'identity', policy(identityStatement({ Actions: 'kms:*' })), SYNTAX],
    ['unknown Version', 'key', JSON.stringify({ Version: '2012-10-18', Statement: [keyStatement()] }), SYNTAX],
    ['no Statement', 'key', JSON.stringify({ Version: '2012-10-17' }), SYNTAX],
    ['empty Statement list', 'identity', JSON.stringify({ Version: '2012-10-17', Statement: [] }), SYNTAX],
    ['statement that is not an object', 'key', JSON.stringify({ Version: '2012-10-17', Statement: ['x'] }), SYNTAX],
    ['Effect in lower case', 'key', policy(keyStatement({ Effect: 'allow' })), SYNTAX],
    ['Effect missing', 'identity', policy(without(identityStatement(), 'Effect')), SYNTAX],
    ['Action and NotAction together', 'identity', policy(identityStatement({ NotAction: 'kms:Decrypt' })), SYNTAX],
    ['Resource and NotResource together', 'identity', policy(identityStatement({ NotResource: '*' })), SYNTAX],
    ['Principal and NotPrincipal together', 'key', policy(keyStatement({ NotPrincipal: { AWS: ACCOUNT } })), SYNTAX],
    ['Action of the wrong type', 'identity', policy(identityStatement({ Action: 7 })), SYNTAX],
    ['unknown condition operator', 'identity', policy(identityStatement({ Condition: { StringEqualz: { 'kms:x': 'y' } } })), SYNTAX],
    [
      'Null with a set qualifier',
      'identity',
      policy(identityStatement({ Condition: { 'ForAnyValue:Null': { 'kms:x': 'true' } } })),
      SYNTAX,
    ],
    [
      'condition value that is an object',
      'identity',
      policy(identityStatement({ Condition: { StringEquals: { 'kms:x': { a: 1 } } } })),
      SYNTAX,
    ],
    ['condition value that is null', 'identity', policy(identityStatement({ Condition: { StringEquals: { 'kms:x': null } } })), SYNTAX],
    ['empty condition value list', 'identity', policy(identityStatement({ Condition: { StringEquals: { 'kms:x': [] } } })), SYNTAX],
    ['invalid CIDR', 'identity', policy(identityStatement({ Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } } })), SYNTAX],
    ['not an IP address', 'key', policy(keyStatement({ Condition: { NotIpAddress: { 'aws:SourceIp': 'example.com' } } })), SYNTAX],
    ['missing Action', 'identity', policy(without(identityStatement(), 'Action')), 'Policy statement must contain actions.'],
    ['empty Action list', 'key', policy(keyStatement({ Action: [] })), 'Policy statement must contain actions.'],
    [
      'action without a vendor',
      'identity',
      policy(identityStatement({ Action: 'Encrypt' })),
      'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.',
    ],
    ['action with two colons', 'key', policy(keyStatement({ Action: 'kms:Encrypt:x' })), 'Actions/Condition can contain only one colon.'],
    [
      'condition key without a vendor',
      'identity',
      policy(identityStatement({ Condition: { StringEquals: { SourceIp: 'x' } } })),
      'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.',
    ],
    [
      'duplicate Sids',
      'key',
      policy(keyStatement({ Sid: 'a b' }), keyStatement({ Sid: 'a b' })),
      'Statement IDs (SID) in a single policy must be unique.',
    ],
    [
      'duplicate Sids in an identity policy',
      'identity',
      policy(identityStatement({ Sid: 'One' }), identityStatement({ Sid: 'One' })),
      'Statement IDs (SID) in a single policy must be unique.',
    ],
    [
      'IAM Sid with a space',
      'identity',
      policy(identityStatement({ Sid: 'Allow use' })),
      'Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*',
    ],
  ];
  it.each(rows)('%s (%s)', (_name, kind, text, message) => expectRejected(kind, text, message));
});

describe('key policy rules', () => {
  const rows: Row[] = [
    ['statement without Principal', 'key', policy(without(keyStatement(), 'Principal')), 'Policy contains a statement with no principal.'],
    ['Principal that is a bare ARN string', 'key', policy(keyStatement({ Principal: alice.arn })), INVALID_PRINCIPALS],
    [
      'partial wildcard in a principal ARN',
      'key',
      policy(keyStatement({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/*` } })),
      INVALID_PRINCIPALS,
    ],
    ['wildcard account in a principal ARN', 'key', policy(keyStatement({ Principal: { AWS: 'arn:aws:iam::*:root' } })), INVALID_PRINCIPALS],
    ['unique id of a deleted user', 'key', policy(keyStatement({ Principal: { AWS: 'AIDAJQABLZS4A3QDU576Q' } })), INVALID_PRINCIPALS],
    ['account id of 11 digits', 'key', policy(keyStatement({ Principal: { AWS: '11112222333' } })), INVALID_PRINCIPALS],
    [
      'IAM group as principal',
      'key',
      policy(keyStatement({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:group/admins` } })),
      INVALID_PRINCIPALS,
    ],
    ['unknown principal type', 'key', policy(keyStatement({ Principal: { Group: 'admins' } })), INVALID_PRINCIPALS],
    [
      'Federated principal in a key policy',
      'key',
      policy(keyStatement({ Principal: { Federated: 'cognito-identity.amazonaws.com' } })),
      INVALID_PRINCIPALS,
    ],
    ['empty principal list', 'key', policy(keyStatement({ Principal: { AWS: [] } })), INVALID_PRINCIPALS],
    ['principal value of the wrong type', 'key', policy(keyStatement({ Principal: { AWS: 111122223333 } })), INVALID_PRINCIPALS],
    ['missing Resource', 'key', policy(without(keyStatement(), 'Resource')), 'Policy statement must contain resources.'],
    [
      'Resource naming the key ARN',
      'key',
      policy(keyStatement({ Resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/x` })),
      'Policy contains a statement whose Resource is not "*".',
    ],
    [
      'NotResource',
      'key',
      policy(without(keyStatement({ NotResource: '*' }), 'Resource')),
      'Policy contains a statement whose Resource is not "*".',
    ],
    [
      'aws:ResourceTag condition',
      'key',
      policy(keyStatement({ Condition: { StringEquals: { 'aws:ResourceTag/Project': 'x' } } })),
      'These condition keys are not permitted in a key policy: aws:ResourceTag, kms:ResourceTag, kms:ResourceAliases',
    ],
    [
      'kms:ResourceAliases condition',
      'key',
      policy(keyStatement({ Condition: { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': 'alias/x*' } } })),
      'These condition keys are not permitted in a key policy: aws:ResourceTag, kms:ResourceTag, kms:ResourceAliases',
    ],
  ];
  it.each(rows)('%s', (_name, kind, text, message) => expectRejected(kind, text, message));

  it('rejects a key policy over 32 KB with LimitExceededException, and accepts one at the limit', () => {
    const padded = (bytes: number): string => {
      const base = JSON.stringify({ Version: '2012-10-17', Id: '', Statement: [keyStatement()] });
      return JSON.stringify({ Version: '2012-10-17', Id: 'x'.repeat(bytes - base.length), Statement: [keyStatement()] });
    };
    expect(Buffer.byteLength(padded(KEY_POLICY_MAX_BYTES))).toBe(KEY_POLICY_MAX_BYTES);
    expect(compilePolicy(padded(KEY_POLICY_MAX_BYTES), 'key').statements).toHaveLength(1);
    let thrown: unknown;
    try {
      compilePolicy(padded(KEY_POLICY_MAX_BYTES + 1), 'key');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PolicyTooLargeError);
    expect(thrown).toBeInstanceOf(MalformedPolicyError);
    expect((thrown as PolicyTooLargeError).awsErrorName).toBe('LimitExceededException');
    expect((thrown as Error).message).toBe('The key policy exceeds the maximum size of 32768 bytes.');
    // The limit counts bytes: 2-byte characters reach it with half as many characters.
    expect(() => compilePolicy(JSON.stringify({ Statement: [keyStatement({ Sid: 'é'.repeat(16400) })] }), 'key')).toThrow(
      PolicyTooLargeError,
    );
  });

  it('accepts what AWS documents for key policies', () => {
    const accepted = policy(
      keyStatement({ Sid: 'Enable IAM User Permissions' }),
      keyStatement({
        Sid: 'Allow use of the key',
        Principal: { AWS: [alice.arn, `arn:aws:iam::${ACCOUNT}:role/ops/Admin`] },
        Action: ['kms:Encrypt', 'kms:Decrypt'],
      }),
      keyStatement({ Sid: 'session', Principal: { AWS: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/s1` } }),
      keyStatement({ Sid: 'service', Principal: { Service: 'logs.us-east-1.amazonaws.com' } }),
      keyStatement({ Sid: 'everyone', Principal: '*', Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } } }),
      keyStatement({ Sid: 'gov', Principal: { AWS: `arn:aws-us-gov:iam::${ACCOUNT}:root` } }),
    );
    const compiled = compilePolicy(accepted, 'key');
    expect(compiled.kind).toBe('key');
    expect(compiled.text).toBe(accepted);
    expect(compiled.statements).toHaveLength(6);
    expect(compiled.namedPrincipals).toEqual([
      ACCOUNT,
      alice.arn,
      `arn:aws:iam::${ACCOUNT}:role/ops/Admin`,
      `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/s1`,
      `arn:aws-us-gov:iam::${ACCOUNT}:root`,
    ]);
    // A single statement object instead of a list, no Version, no Sid.
    expect(compilePolicy(JSON.stringify({ Statement: keyStatement() }), 'key').statements).toHaveLength(1);
  });
});

describe('identity policy rules', () => {
  const rows: Row[] = [
    [
      'Principal in an identity policy',
      'identity',
      policy(identityStatement({ Principal: { AWS: ACCOUNT } })),
      'Policy document should not specify a principal.',
    ],
    [
      'NotPrincipal in an identity policy',
      'identity',
      policy(identityStatement({ NotPrincipal: '*' })),
      'Policy document should not specify a principal.',
    ],
    ['missing Resource', 'identity', policy(without(identityStatement(), 'Resource')), 'Policy statement must contain resources.'],
    [
      'Resource that is not an ARN',
      'identity',
      policy(identityStatement({ Resource: 'key/1234' })),
      'Resource key/1234 must be in ARN format or "*".',
    ],
  ];
  it.each(rows)('%s', (_name, kind, text, message) => expectRejected(kind, text, message));

  it('accepts ARNs, wildcards, NotAction/NotResource and conditions', () => {
    const accepted = policy(
      identityStatement({ Sid: 'Keys', Resource: [`arn:aws:kms:*:${ACCOUNT}:key/*`, `arn:aws:kms:us-east-1:${ACCOUNT}:alias/*`] }),
      {
        Effect: 'Deny',
        NotAction: 'kms:Describe*',
        NotResource: `arn:aws:kms:*:${ACCOUNT}:key/abc`,
        Condition: { Bool: { 'aws:SecureTransport': false } },
      },
      identityStatement({
        Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] }, StringEquals: { 'aws:ResourceTag/Project': 'x' } },
      }),
    );
    expect(compilePolicy(accepted, 'identity').statements.map((s) => s.effect)).toEqual(['Allow', 'Deny', 'Allow']);
  });
});

describe('trust policy rules', () => {
  const rows: Row[] = [
    ['Resource in a trust policy', 'trust', policy(trustStatement({ Resource: '*' })), 'Has prohibited field Resource'],
    ['missing Principal', 'trust', policy(without(trustStatement(), 'Principal')), 'Missing required field Principal'],
    ['NotPrincipal in a trust policy', 'trust', policy(without(trustStatement({ NotPrincipal: { AWS: ACCOUNT } }), 'Principal')), SYNTAX],
    ['missing Action', 'trust', policy(without(trustStatement(), 'Action')), 'Policy statement must contain actions.'],
    [
      'principal ARN with a wildcard',
      'trust',
      policy(trustStatement({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/*` } })),
      `Invalid principal in policy: "AWS":"arn:aws:iam::${ACCOUNT}:user/*"`,
    ],
    [
      'principal that is not an ARN',
      'trust',
      policy(trustStatement({ Principal: { AWS: 'alice' } })),
      'Invalid principal in policy: "AWS":"alice"',
    ],
  ];
  it.each(rows)('%s', (_name, kind, text, message) => expectRejected(kind, text, message));

  it('accepts users, roles, accounts, services and federated providers', () => {
    const accepted = policy(
      trustStatement(),
      trustStatement({
        Principal: { AWS: [ACCOUNT, `arn:aws:iam::${ACCOUNT}:role/x`] },
        Condition: { StringEquals: { 'sts:ExternalId': 'abc' } },
      }),
      trustStatement({ Principal: { Service: 'ec2.amazonaws.com' } }),
      trustStatement({ Principal: { Federated: `arn:aws:iam::${ACCOUNT}:saml-provider/corp` }, Action: 'sts:AssumeRoleWithSAML' }),
    );
    expect(compilePolicy(accepted, 'trust').statements).toHaveLength(4);
  });
});

describe('resource policy rules (CloudHSM backups)', () => {
  it('needs a Principal, accepts a statement without Resource', () => {
    const accepted = policy({
      Effect: 'Allow',
      Principal: { AWS: ACCOUNT },
      Action: ['cloudhsm:CreateCluster', 'cloudhsm:DescribeBackups'],
    });
    expect(compilePolicy(accepted, 'resource').statements).toHaveLength(1);
    expectRejected(
      'resource',
      policy({ Effect: 'Allow', Action: 'cloudhsm:CreateCluster' }),
      'Policy contains a statement with no principal.',
    );
    expectRejected(
      'resource',
      policy({ Effect: 'Allow', Principal: '*', Action: 'cloudhsm:CreateCluster', Resource: 'backup-1' }),
      'Resource backup-1 must be in ARN format or "*".',
    );
  });
});
