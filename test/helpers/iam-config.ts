/**
 * A configuration with IAM users and roles in two accounts, for the STS, audit and signature
 * tests: alice may assume roles, bob may not, carol is in another account.
 */
import type { KmsdConfig } from '../../src/config.js';
import { DEV } from './kmsd.js';

export const OTHER_ACCOUNT = '444455556666';
export const ALICE = { accessKeyId: 'AKIAALICE0000000TEST', secretAccessKey: 'alice-secret-0f3a9c1e7b2d', accountId: DEV.accountId };
export const BOB = { accessKeyId: 'AKIABOB00000000TEST0', secretAccessKey: 'bob-secret-5e8d2a7c4f1b', accountId: DEV.accountId };
export const CAROL = { accessKeyId: 'AKIACAROL000000TEST0', secretAccessKey: 'carol-secret-9b1c3d5e7f2a', accountId: OTHER_ACCOUNT };

const role = (name: string) => `arn:aws:iam::${DEV.accountId}:role/${name}`;
export const APP_ROLE = role('app');
export const ACCOUNT_TRUST_ROLE = role('account-trust');
export const EXTERNAL_ROLE = role('partner');
export const LONG_ROLE = role('long');
export const CROSS_ROLE = role('cross');
export const NO_TAGS_ROLE = role('no-tags');

const allow = (action: string | string[], resource = '*', extra: Record<string, unknown> = {}) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: action, Resource: resource, ...extra }],
});
const trust = (
  principal: string,
  action: string | string[] = ['sts:AssumeRole', 'sts:TagSession'],
  extra: Record<string, unknown> = {},
) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: action, ...extra }],
});

export function iamConfig(): KmsdConfig {
  const aliceArn = `arn:aws:iam::${DEV.accountId}:user/alice`;
  return {
    accounts: [
      {
        accountId: DEV.accountId,
        credentials: [{ accessKeyId: DEV.accessKeyId, secretAccessKey: DEV.secretAccessKey }],
        users: [
          {
            userName: 'alice',
            path: '/',
            tags: { team: 'blue' },
            accessKeys: [ALICE],
            policies: [
              { policyName: 'assume-roles', policyDocument: allow('sts:AssumeRole', `arn:aws:iam::${DEV.accountId}:role/*`) },
              { policyName: 'use-keys', policyDocument: allow('kms:*') },
            ],
          },
          { userName: 'bob', path: '/staff/', accessKeys: [BOB], policies: [] },
        ],
        roles: [
          // Names alice itself: enough within the account; `app` may chain into `long`.
          {
            roleName: 'app',
            assumeRolePolicyDocument: trust(aliceArn),
            policies: [{ policyName: 'all', policyDocument: allow(['kms:*', 'sts:AssumeRole']) }],
          },
          // Names only the account: the caller's identity policy must allow too.
          { roleName: 'account-trust', assumeRolePolicyDocument: trust(DEV.accountId), policies: [] },
          {
            roleName: 'partner',
            assumeRolePolicyDocument: trust(aliceArn, 'sts:AssumeRole', {
              Condition: { StringEquals: { 'sts:ExternalId': 'partner-ext-77' } },
            }),
          },
          {
            roleName: 'long',
            path: '/',
            maxSessionDuration: 7200,
            assumeRolePolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Principal: { AWS: [aliceArn, APP_ROLE] }, Action: 'sts:AssumeRole' }],
            },
          },
          { roleName: 'cross', assumeRolePolicyDocument: trust(OTHER_ACCOUNT, 'sts:AssumeRole') },
          { roleName: 'no-tags', assumeRolePolicyDocument: trust(aliceArn, 'sts:AssumeRole') },
        ],
      },
      {
        accountId: OTHER_ACCOUNT,
        credentials: [],
        users: [
          {
            userName: 'carol',
            accessKeys: [CAROL],
            policies: [{ policyName: 'cross', policyDocument: allow('sts:AssumeRole', CROSS_ROLE) }],
          },
        ],
      },
    ],
  };
}
