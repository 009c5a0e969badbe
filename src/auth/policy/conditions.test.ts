/**
 * Every condition operator, positive and negative, with IfExists, Null and the set qualifiers. Each row
 * is one Condition block in an identity policy and one request context; the expected value is whether
 * the Allow applies.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy, evaluatePolicy, type ConditionValues } from './index.js';
import { alice, policy, request } from '../../../test/helpers/policy-fixtures.js';

type Row = [operator: string, key: string, policyValues: unknown, context: ConditionValues, holds: boolean];

function holds(condition: object, context: ConditionValues): boolean {
  const text = policy({ Effect: 'Allow', Action: 'kms:*', Resource: '*', Condition: condition });
  return evaluatePolicy(compilePolicy(text, 'identity'), request(alice, 'kms:Encrypt', context)).allowed;
}

function runRows(rows: Row[]): void {
  it.each(rows)('%s %s %j with %j -> %s', (operator, key, values, context, expected) => {
    expect(holds({ [operator]: { [key]: values } }, context)).toBe(expected);
  });
}

const EC = 'kms:EncryptionContext:Dept';

describe('String operators', () => {
  runRows([
    ['StringEquals', EC, 'IT', { [EC]: 'IT' }, true],
    ['StringEquals', EC, 'IT', { [EC]: 'it' }, false],
    ['StringEquals', EC, ['HR', 'IT'], { [EC]: 'IT' }, true],
    ['StringEquals', EC, 'IT', {}, false],
    ['StringEquals', EC, 'I*', { [EC]: 'IT' }, false],
    ['StringEquals', EC, 'I*', { [EC]: 'I*' }, true],
    // Condition key names are case-insensitive, the part after kms:EncryptionContext: included (spec §8.2).
    ['StringEquals', 'KMS:ENCRYPTIONCONTEXT:dept', 'IT', { [EC]: 'IT' }, true],
    ['StringNotEquals', EC, 'IT', { [EC]: 'HR' }, true],
    ['StringNotEquals', EC, 'IT', { [EC]: 'IT' }, false],
    ['StringNotEquals', EC, ['HR', 'IT'], { [EC]: 'IT' }, false],
    ['StringNotEquals', EC, 'IT', {}, true],
    ['StringEqualsIgnoreCase', EC, 'it', { [EC]: 'IT' }, true],
    ['StringEqualsIgnoreCase', EC, 'it', { [EC]: 'HR' }, false],
    ['StringNotEqualsIgnoreCase', EC, 'it', { [EC]: 'IT' }, false],
    ['StringNotEqualsIgnoreCase', EC, 'it', { [EC]: 'HR' }, true],
    ['StringNotEqualsIgnoreCase', EC, 'it', {}, true],
    ['StringLike', EC, 'I*', { [EC]: 'IT' }, true],
    ['StringLike', EC, 'I?', { [EC]: 'IT' }, true],
    ['StringLike', EC, 'I?', { [EC]: 'ITX' }, false],
    ['StringLike', EC, 'i*', { [EC]: 'IT' }, false],
    ['StringLike', EC, '*', {}, false],
    ['StringLike', EC, 'a*b*c', { [EC]: 'aXbYbZc' }, true],
    ['StringLike', EC, 'a*b*c', { [EC]: 'aXbYbZ' }, false],
    ['StringNotLike', EC, 'I*', { [EC]: 'IT' }, false],
    ['StringNotLike', EC, 'I*', { [EC]: 'HR' }, true],
    ['StringNotLike', EC, 'I*', {}, true],
  ]);
});

describe('Numeric operators', () => {
  const K = 'kms:ScheduleKeyDeletionPendingWindowInDays';
  runRows([
    ['NumericEquals', K, '30', { [K]: 30 }, true],
    ['NumericEquals', K, '30', { [K]: '30.0' }, true],
    ['NumericEquals', K, 30, { [K]: 7 }, false],
    ['NumericEquals', K, '30', {}, false],
    ['NumericEquals', K, '30', { [K]: 'thirty' }, false],
    ['NumericNotEquals', K, '30', { [K]: 7 }, true],
    ['NumericNotEquals', K, '30', { [K]: 30 }, false],
    ['NumericNotEquals', K, '30', {}, true],
    ['NumericLessThan', K, '30', { [K]: 29 }, true],
    ['NumericLessThan', K, '30', { [K]: 30 }, false],
    ['NumericLessThanEquals', K, '30', { [K]: 30 }, true],
    ['NumericLessThanEquals', K, '30', { [K]: 31 }, false],
    ['NumericGreaterThan', K, '7', { [K]: 8 }, true],
    ['NumericGreaterThan', K, '7', { [K]: 7 }, false],
    ['NumericGreaterThanEquals', K, '7', { [K]: 7 }, true],
    ['NumericGreaterThanEquals', K, '7', { [K]: 6 }, false],
    ['NumericGreaterThanEquals', K, '7', {}, false],
  ]);
});

describe('Date operators', () => {
  const K = 'aws:CurrentTime';
  runRows([
    ['DateEquals', K, '2026-12-01T08:00:00Z', { [K]: '2026-12-01T08:00:00Z' }, true],
    ['DateEquals', K, '2026-12-01T08:00:00Z', { [K]: '2026-12-01T09:00:00+01:00' }, true],
    ['DateEquals', K, '2026-12-01T08:00:00Z', { [K]: '2026-12-01T08:00:01Z' }, false],
    ['DateNotEquals', K, '2026-12-01T08:00:00Z', { [K]: '2026-12-01T08:00:01Z' }, true],
    ['DateNotEquals', K, '2026-12-01T08:00:00Z', { [K]: '2026-12-01T08:00:00Z' }, false],
    ['DateLessThan', K, '2027-01-01T00:00:00Z', { [K]: '2026-12-01T08:00:00Z' }, true],
    ['DateLessThan', K, '2026-01-01T00:00:00Z', { [K]: '2026-12-01T08:00:00Z' }, false],
    ['DateLessThanEquals', K, '2026-12-01T08:00:00Z', { [K]: '2026-12-01T08:00:00Z' }, true],
    ['DateLessThanEquals', K, '2026-12-01T07:59:59Z', { [K]: '2026-12-01T08:00:00Z' }, false],
    ['DateGreaterThan', K, '2026-01-01', { [K]: '2026-12-01T08:00:00Z' }, true],
    ['DateGreaterThan', K, '2027-01-01', { [K]: '2026-12-01T08:00:00Z' }, false],
    ['DateGreaterThanEquals', K, '2026-12-01T08:00:00Z', { [K]: '2026-12-01T08:00:00Z' }, true],
    ['DateGreaterThanEquals', K, '2026-12-01T08:00:01Z', { [K]: '2026-12-01T08:00:00Z' }, false],
    // Epoch seconds on either side (aws:EpochTime).
    ['DateGreaterThan', 'aws:EpochTime', '1764576000', { 'aws:EpochTime': 1764576001 }, true],
    ['DateLessThan', K, '1764576000', { [K]: '2025-12-01T07:00:00Z' }, true],
    ['DateLessThan', K, '2027-01-01T00:00:00Z', {}, false],
    ['DateLessThan', K, '2027-01-01T00:00:00Z', { [K]: 'not a date' }, false],
  ]);
});

describe('Bool, BinaryEquals, IP and Null', () => {
  runRows([
    ['Bool', 'aws:SecureTransport', 'true', { 'aws:SecureTransport': true }, true],
    ['Bool', 'aws:SecureTransport', 'true', { 'aws:SecureTransport': false }, false],
    ['Bool', 'aws:SecureTransport', true, { 'aws:SecureTransport': 'TRUE' }, true],
    ['Bool', 'aws:SecureTransport', 'false', { 'aws:SecureTransport': false }, true],
    ['Bool', 'aws:SecureTransport', 'false', {}, false],
    ['BinaryEquals', 'kms:x', 'QmluYXJ5', { 'kms:x': 'QmluYXJ5' }, true],
    ['BinaryEquals', 'kms:x', 'QmluYXJ5', { 'kms:x': 'QmluYXJ6' }, false],
    ['BinaryEquals', 'kms:x', 'QmluYXJ5', {}, false],
    ['IpAddress', 'aws:SourceIp', '203.0.113.0/24', { 'aws:SourceIp': '203.0.113.7' }, true],
    ['IpAddress', 'aws:SourceIp', '203.0.113.0/24', { 'aws:SourceIp': '198.51.100.7' }, false],
    ['IpAddress', 'aws:SourceIp', '203.0.113.0/24', { 'aws:SourceIp': '::ffff:203.0.113.7' }, true],
    ['IpAddress', 'aws:SourceIp', '203.0.113.7', { 'aws:SourceIp': '203.0.113.7' }, true],
    ['IpAddress', 'aws:SourceIp', ['10.0.0.0/8', '2001:db8::/32'], { 'aws:SourceIp': '2001:db8::1' }, true],
    ['IpAddress', 'aws:SourceIp', '2001:db8::/32', { 'aws:SourceIp': '2001:db9::1' }, false],
    ['IpAddress', 'aws:SourceIp', '203.0.113.0/24', {}, false],
    ['IpAddress', 'aws:SourceIp', '203.0.113.0/24', { 'aws:SourceIp': 'not-an-ip' }, false],
    ['NotIpAddress', 'aws:SourceIp', '203.0.113.0/24', { 'aws:SourceIp': '198.51.100.7' }, true],
    ['NotIpAddress', 'aws:SourceIp', '203.0.113.0/24', { 'aws:SourceIp': '203.0.113.9' }, false],
    ['NotIpAddress', 'aws:SourceIp', '203.0.113.0/24', {}, true],
    ['Null', 'kms:EncryptionContextKeys', 'true', {}, true],
    ['Null', 'kms:EncryptionContextKeys', 'true', { 'kms:EncryptionContextKeys': [] }, true],
    ['Null', 'kms:EncryptionContextKeys', 'true', { 'kms:EncryptionContextKeys': ['Dept'] }, false],
    ['Null', 'kms:EncryptionContextKeys', 'false', { 'kms:EncryptionContextKeys': ['Dept'] }, true],
    ['Null', 'kms:EncryptionContextKeys', false, {}, false],
  ]);
});

describe('ARN operators', () => {
  const K = 'kms:GrantConstraintSourceArn';
  const ARN = 'arn:aws:s3:::bucket/path:with:colons';
  runRows([
    ['ArnEquals', K, ARN, { [K]: ARN }, true],
    ['ArnEquals', K, 'arn:aws:s3:::bucket/*', { [K]: ARN }, true],
    ['ArnLike', K, 'arn:aws:s3:::bucket/*', { [K]: ARN }, true],
    ['ArnLike', K, 'arn:aws:s3:::other/*', { [K]: ARN }, false],
    ['ArnLike', K, 'arn:aws:s3:*:*:bucket/*', { [K]: ARN }, true],
    // `*` stays within its segment: it cannot swallow the colons of region and account.
    ['ArnLike', 'aws:PrincipalArn', 'arn:aws:iam::*', { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:user/Alice' }, true],
    ['ArnLike', 'kms:x', 'arn:aws:iam:*:user/Alice', { 'kms:x': 'arn:aws:iam::111122223333:user/Alice' }, false],
    ['ArnLike', K, 'arn:aws:s3:::bucket/*', { [K]: 'not-an-arn' }, false],
    ['ArnLike', K, 'arn:aws:s3:::bucket/*', {}, false],
    ['ArnLike', K, 'arn:aws:s3:::BUCKET/*', { [K]: ARN }, false],
    ['ArnNotEquals', K, 'arn:aws:s3:::other/*', { [K]: ARN }, true],
    ['ArnNotEquals', K, ARN, { [K]: ARN }, false],
    ['ArnNotLike', K, 'arn:aws:s3:::bucket/*', { [K]: ARN }, false],
    ['ArnNotLike', K, 'arn:aws:s3:::other/*', { [K]: ARN }, true],
    ['ArnNotLike', K, 'arn:aws:s3:::other/*', {}, true],
  ]);
});

describe('IfExists', () => {
  runRows([
    ['StringEqualsIfExists', EC, 'IT', {}, true],
    ['StringEqualsIfExists', EC, 'IT', { [EC]: 'IT' }, true],
    ['StringEqualsIfExists', EC, 'IT', { [EC]: 'HR' }, false],
    ['StringNotEqualsIfExists', EC, 'IT', { [EC]: 'IT' }, false],
    ['StringNotEqualsIfExists', EC, 'IT', {}, true],
    ['StringEqualsIgnoreCaseIfExists', EC, 'it', { [EC]: 'IT' }, true],
    ['StringNotEqualsIgnoreCaseIfExists', EC, 'it', { [EC]: 'IT' }, false],
    ['StringLikeIfExists', EC, 'I*', { [EC]: 'HR' }, false],
    ['StringLikeIfExists', EC, 'I*', {}, true],
    ['StringNotLikeIfExists', EC, 'I*', { [EC]: 'IT' }, false],
    ['NumericEqualsIfExists', 'kms:n', '1', {}, true],
    ['NumericEqualsIfExists', 'kms:n', '1', { 'kms:n': 2 }, false],
    ['NumericNotEqualsIfExists', 'kms:n', '1', { 'kms:n': 1 }, false],
    ['NumericLessThanIfExists', 'kms:n', '1', { 'kms:n': 2 }, false],
    ['NumericLessThanEqualsIfExists', 'kms:n', '1', {}, true],
    ['NumericGreaterThanIfExists', 'kms:n', '1', { 'kms:n': 2 }, true],
    ['NumericGreaterThanEqualsIfExists', 'kms:n', '1', { 'kms:n': 0 }, false],
    ['DateEqualsIfExists', 'kms:ValidTo', '2027-01-01T00:00:00Z', {}, true],
    ['DateNotEqualsIfExists', 'kms:ValidTo', '2027-01-01T00:00:00Z', { 'kms:ValidTo': '2027-01-01T00:00:00Z' }, false],
    ['DateLessThanIfExists', 'kms:ValidTo', '2027-01-01T00:00:00Z', { 'kms:ValidTo': '2028-01-01T00:00:00Z' }, false],
    ['DateLessThanEqualsIfExists', 'kms:ValidTo', '2027-01-01T00:00:00Z', {}, true],
    ['DateGreaterThanIfExists', 'kms:ValidTo', '2027-01-01T00:00:00Z', { 'kms:ValidTo': '2028-01-01T00:00:00Z' }, true],
    ['DateGreaterThanEqualsIfExists', 'kms:ValidTo', '2027-01-01T00:00:00Z', { 'kms:ValidTo': '2026-01-01T00:00:00Z' }, false],
    ['BoolIfExists', 'kms:MultiRegion', 'false', {}, true],
    ['BoolIfExists', 'kms:MultiRegion', 'false', { 'kms:MultiRegion': true }, false],
    ['BinaryEqualsIfExists', 'kms:b', 'AA==', {}, true],
    ['BinaryEqualsIfExists', 'kms:b', 'AA==', { 'kms:b': 'AQ==' }, false],
    ['IpAddressIfExists', 'aws:SourceIp', '10.0.0.0/8', {}, true],
    ['IpAddressIfExists', 'aws:SourceIp', '10.0.0.0/8', { 'aws:SourceIp': '11.0.0.1' }, false],
    ['NotIpAddressIfExists', 'aws:SourceIp', '10.0.0.0/8', { 'aws:SourceIp': '10.0.0.1' }, false],
    ['ArnEqualsIfExists', 'kms:a', 'arn:aws:s3:::b', {}, true],
    ['ArnLikeIfExists', 'kms:a', 'arn:aws:s3:::b*', { 'kms:a': 'arn:aws:s3:::c' }, false],
    ['ArnNotEqualsIfExists', 'kms:a', 'arn:aws:s3:::b', { 'kms:a': 'arn:aws:s3:::b' }, false],
    ['ArnNotLikeIfExists', 'kms:a', 'arn:aws:s3:::b*', {}, true],
  ]);
});

describe('ForAnyValue / ForAllValues (spec §8.3)', () => {
  const K = 'kms:EncryptionContextKeys';
  runRows([
    ['ForAnyValue:StringEquals', K, ['Dept', 'Project'], { [K]: ['Dept'] }, true],
    ['ForAnyValue:StringEquals', K, ['Dept', 'Project'], { [K]: ['Other', 'Project'] }, true],
    ['ForAnyValue:StringEquals', K, ['Dept', 'Project'], { [K]: ['Other'] }, false],
    ['ForAnyValue:StringEquals', K, ['Dept'], { [K]: [] }, false],
    ['ForAnyValue:StringEquals', K, ['Dept'], {}, false],
    ['ForAnyValue:StringEqualsIfExists', K, ['Dept'], {}, true],
    ['ForAllValues:StringEquals', K, ['Dept', 'Project'], { [K]: ['Dept', 'Project'] }, true],
    ['ForAllValues:StringEquals', K, ['Dept', 'Project'], { [K]: ['Dept'] }, true],
    ['ForAllValues:StringEquals', K, ['Dept', 'Project'], { [K]: ['Dept', 'Other'] }, false],
    ['ForAllValues:StringEquals', K, ['Dept'], { [K]: [] }, true],
    ['ForAllValues:StringEquals', K, ['Dept'], {}, true],
    ['ForAllValues:StringLike', K, ['Dept*'], { [K]: ['Dept1', 'Dept2'] }, true],
    ['ForAllValues:StringLike', K, ['Dept*'], { [K]: ['Dept1', 'Proj'] }, false],
    // Negated inner operators apply to each request value.
    ['ForAnyValue:StringNotEquals', K, ['Dept'], { [K]: ['Dept', 'Other'] }, true],
    ['ForAnyValue:StringNotEquals', K, ['Dept'], { [K]: ['Dept'] }, false],
    ['ForAllValues:StringNotEquals', K, ['Dept'], { [K]: ['Other', 'Project'] }, true],
    ['ForAllValues:StringNotEquals', K, ['Dept'], { [K]: ['Other', 'Dept'] }, false],
    ['ForAllValues:StringNotEquals', K, ['Dept'], {}, true],
    // A single request value is a list of one.
    ['ForAnyValue:StringEquals', 'kms:x', ['a'], { 'kms:x': 'a' }, true],
    // Without a qualifier, a list holds when one of its values does (our reading, undocumented).
    ['StringEquals', K, 'Dept', { [K]: ['Other', 'Dept'] }, true],
    ['StringEquals', K, 'Dept', { [K]: ['Other'] }, false],
    // Qualifiers and keys are case-insensitive.
    ['forallvalues:stringequals', 'KMS:ENCRYPTIONCONTEXTKEYS', ['Dept'], { [K]: ['Other'] }, false],
  ]);
});

describe('several operators, keys and values', () => {
  it('ANDs operators and keys, ORs the values of one key', () => {
    const condition = {
      StringEquals: { [EC]: ['IT', 'HR'], 'kms:EncryptionContext:Project': 'x' },
      Bool: { 'aws:SecureTransport': 'true' },
    };
    expect(holds(condition, { [EC]: 'HR', 'kms:EncryptionContext:Project': 'x', 'aws:SecureTransport': true })).toBe(true);
    expect(holds(condition, { [EC]: 'HR', 'kms:EncryptionContext:Project': 'y', 'aws:SecureTransport': true })).toBe(false);
    expect(holds(condition, { [EC]: 'HR', 'kms:EncryptionContext:Project': 'x', 'aws:SecureTransport': false })).toBe(false);
    expect(holds(condition, { [EC]: 'Ops', 'kms:EncryptionContext:Project': 'x', 'aws:SecureTransport': true })).toBe(false);
  });
});
