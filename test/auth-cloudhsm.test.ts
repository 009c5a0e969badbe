/**
 * CloudHSM V2 authorization: every cloudhsm:* action is decided by the caller's IAM identity
 * policies (the account root always passes), and a backup shared with other accounts by its
 * resource policy honours Deny, Condition and NotPrincipal through the policy evaluator,
 * with the other account's own IAM policies required too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeClustersCommand } from '@aws-sdk/client-cloudhsm-v2';
import type { ClientOptions } from './helpers/kmsd.js';
import { rawRequest, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { backupNow, createKeyStoreCluster, SUBNETS } from './helpers/cluster.js';
import { ACCOUNT_A, ACCOUNT_B, as, authConfig, ROOT_B, rootArn, userArn } from './helpers/auth-config.js';

let t: TestKmsd;
let backupArn: string;

beforeAll(async () => {
  const config = authConfig();
  config.subnets = { [SUBNETS[0]]: 'us-east-1a', [SUBNETS[1]]: 'us-east-1b' };
  config.cloudhsm = { transitionMs: 0 };
  t = await startKmsd({ config });
  const { clusterId } = await createKeyStoreCluster(t, 'kmsuserPswd1');
  backupArn = `arn:aws:cloudhsm:us-east-1:${ACCOUNT_A}:backup/${await backupNow(t, clusterId)}`;
}, 120_000);
afterAll(async () => t.close());

describe('cloudhsm:* by identity policies', () => {
  it('the root is allowed, a user needs an identity policy that allows the action', async () => {
    await expect(t.cloudhsm().send(new DescribeClustersCommand({}))).resolves.toBeDefined();
    await expect(t.cloudhsm(as('erin')).send(new DescribeClustersCommand({}))).resolves.toMatchObject({ Clusters: [] });
    await expect(t.cloudhsm(as('alice')).send(new DescribeClustersCommand({}))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: `User: ${userArn('alice')} is not authorized to perform: cloudhsm:DescribeClusters on resource: * because no identity-based policy allows the cloudhsm:DescribeClusters action`,
      $metadata: { httpStatusCode: 400 },
    });
  });
});

describe('backup resource policies', () => {
  async function share(statements: Record<string, unknown>[]): Promise<void> {
    const res = await rawRequest(t.url, {
      target: 'BaldrApiService.PutResourcePolicy',
      service: 'cloudhsm',
      body: JSON.stringify({ ResourceArn: backupArn, Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }),
    });
    expect(res.status).toBe(200);
  }
  const allow = (principal: unknown, condition?: Record<string, unknown>) => ({
    Effect: 'Allow',
    Principal: principal,
    Action: ['cloudhsm:DescribeBackups', 'cloudhsm:CreateCluster'],
    Resource: '*',
    ...(condition ? { Condition: condition } : {}),
  });
  /** DescribeBackups with Shared (newer than the SDK in use: a signed raw request). */
  async function sharedWith(credentials: ClientOptions): Promise<string[]> {
    const res = await rawRequest(t.url, {
      target: 'BaldrApiService.DescribeBackups',
      service: 'cloudhsm',
      body: JSON.stringify({ Shared: true }),
      ...credentials,
    });
    expect(res.status).toBe(200);
    return (res.body.Backups as { BackupArn: string }[]).map((b) => b.BackupArn);
  }

  it('an Allow for the account shares with its root and its IAM-allowed users; a Deny for one user wins', async () => {
    await share([allow({ AWS: ACCOUNT_B }), { Effect: 'Deny', Principal: { AWS: userArn('erin') }, Action: 'cloudhsm:*', Resource: '*' }]);
    expect(await sharedWith(ROOT_B)).toEqual([backupArn]);
    expect(await sharedWith(as('erin'))).toEqual([]);
    await share([allow({ AWS: ACCOUNT_B })]);
    expect(await sharedWith(as('erin'))).toEqual([backupArn]);
  });

  it('"*" shares only as far as its Condition lets it', async () => {
    await share([allow('*', { StringEquals: { 'aws:PrincipalAccount': '999999999999' } })]);
    expect(await sharedWith(ROOT_B)).toEqual([]);
    await share([allow('*', { StringEquals: { 'aws:PrincipalAccount': ACCOUNT_B } })]);
    expect(await sharedWith(ROOT_B)).toEqual([backupArn]);
  });

  it('NotPrincipal in a Deny exempts only the principals it lists', async () => {
    await share([
      allow({ AWS: ACCOUNT_B }),
      { Effect: 'Deny', NotPrincipal: { AWS: rootArn(ACCOUNT_B) }, Action: 'cloudhsm:*', Resource: '*' },
    ]);
    expect(await sharedWith(ROOT_B)).toEqual([backupArn]);
    expect(await sharedWith(as('erin'))).toEqual([]);
    // Restoring from a backup the caller may not use reads as a missing backup, as before.
    const res = await rawRequest(t.url, {
      target: 'BaldrApiService.CreateCluster',
      service: 'cloudhsm',
      body: JSON.stringify({ HsmType: 'hsm2m.medium', SubnetIds: [SUBNETS[0]], SourceBackupId: backupArn }),
      ...as('erin'),
    });
    expect(res.body).toEqual({ __type: 'CloudHsmResourceNotFoundException', Message: `Backup ${backupArn} not found.` });
  });
});
