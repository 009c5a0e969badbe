/**
 * A kmsd configuration with two accounts and several IAM users, for the authorization
 * suites (test/auth-*.test.ts). Account A is the development account; B is "another
 * account". Each user's name says what its identity policies give it.
 */
import type { KmsdConfig } from '../../src/config.js';
import { DEV } from './kmsd.js';
import type { ClientOptions } from './kmsd.js';

export const ACCOUNT_A = DEV.accountId;
export const ACCOUNT_B = '444455556666';

const allowAll = (actions: string[]) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
});

/** name -> [account, identity policies] */
const USERS: Record<string, [string, Record<string, unknown>[]]> = {
  // IAM allows every KMS action: what delegation through the account principal needs.
  admin: [ACCOUNT_A, [allowAll(['kms:*'])]],
  // No identity policies: only what a key policy names them for.
  alice: [ACCOUNT_A, []],
  bob: [ACCOUNT_A, []],
  // Allowed everything, then denied everything (every KMS and CloudHSM action).
  denied: [
    ACCOUNT_A,
    [
      allowAll(['kms:*', 'cloudhsm:*']),
      { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: ['kms:*', 'cloudhsm:*'], Resource: '*' }] },
    ],
  ],
  // IAM allows KMS only from a network the tests never come from (deny with aws:SourceIp).
  remote: [
    ACCOUNT_A,
    [
      allowAll(['kms:*']),
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Action: 'kms:*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24'] } } }],
      },
    ],
  ],
  // Same, from the loopback network the tests do come from.
  local: [
    ACCOUNT_A,
    [
      allowAll(['kms:*']),
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Deny', Action: 'kms:*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1/128'] } } },
        ],
      },
    ],
  ],
  // Alias-based access (developer guide, alias-authorization): Encrypt with keys that have the
  // alias alias/finance, DescribeKey only when the request names the key by that alias.
  finance: [
    ACCOUNT_A,
    [
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'kms:Encrypt',
            Resource: '*',
            Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/finance' } },
          },
          {
            Effect: 'Allow',
            Action: 'kms:DescribeKey',
            Resource: '*',
            Condition: { StringEquals: { 'kms:RequestAlias': 'alias/finance' } },
          },
        ],
      },
    ],
  ],
  // Account B: carol's IAM allows using account A's keys; dave's allows nothing.
  carol: [
    ACCOUNT_B,
    [
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:DisableKey'],
            Resource: `arn:aws:kms:*:${ACCOUNT_A}:key/*`,
          },
        ],
      },
    ],
  ],
  dave: [ACCOUNT_B, []],
  // Account B: erin's IAM allows every CloudHSM action (on shared backups too).
  erin: [ACCOUNT_B, [allowAll(['cloudhsm:*'])]],
};

export const APP_ROLE = `arn:aws:iam::${ACCOUNT_A}:role/app`;
export const userArn = (name: string): string => `arn:aws:iam::${USERS[name][0]}:user/${name}`;
export const rootArn = (account: string): string => `arn:aws:iam::${account}:root`;

/** SDK client options for a user (access key AKIA<NAME>, secret <name>-secret). */
export function as(name: string): ClientOptions {
  return { accessKeyId: `AKIA${name.toUpperCase()}`, secretAccessKey: `${name}-secret` };
}
export const ROOT_B: ClientOptions = { accessKeyId: 'ROOTB', secretAccessKey: 'rootb-secret' };

/** Environment for /usr/bin/aws acting as a user. */
export function cliAs(name: string): Record<string, string> {
  const o = as(name);
  return { AWS_ACCESS_KEY_ID: o.accessKeyId ?? '', AWS_SECRET_ACCESS_KEY: o.secretAccessKey ?? '' };
}

export function authConfig(): KmsdConfig {
  const usersOf = (account: string) =>
    Object.entries(USERS)
      .filter(([, [acct]]) => acct === account)
      .map(([name, [, policies]]) => ({
        userName: name,
        path: '/',
        accessKeys: [{ accessKeyId: `AKIA${name.toUpperCase()}`, secretAccessKey: `${name}-secret` }],
        policies: policies.map((policyDocument, i) => ({ policyName: `p${i}`, policyDocument })),
      }));
  return {
    accounts: [
      {
        accountId: ACCOUNT_A,
        credentials: [{ accessKeyId: DEV.accessKeyId, secretAccessKey: DEV.secretAccessKey }],
        users: usersOf(ACCOUNT_A),
        roles: [
          {
            roleName: 'app',
            path: '/',
            // alice may assume it (a trust policy naming the user suffices in the same account).
            assumeRolePolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Principal: { AWS: userArn('alice') }, Action: 'sts:AssumeRole' }],
            },
            policies: [{ policyName: 'use', policyDocument: allowAll(['kms:Encrypt', 'kms:DescribeKey']) }],
          },
        ],
      },
      { accountId: ACCOUNT_B, credentials: [{ accessKeyId: 'ROOTB', secretAccessKey: 'rootb-secret' }], users: usersOf(ACCOUNT_B) },
    ],
  };
}

/** A key policy: the account-root statement (so the tests' root keeps control) plus `statements`. */
export function keyPolicy(statements: Record<string, unknown>[], account = ACCOUNT_A): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: rootArn(account) }, Action: 'kms:*', Resource: '*' },
      ...statements,
    ],
  });
}
