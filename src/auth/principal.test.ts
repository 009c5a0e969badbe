import { describe, expect, it } from 'vitest';
import { accountPrincipal, roleSessionPrincipal, uniqueId, userPrincipal } from './principal.js';

const alice = { accountId: '111122223333', name: 'alice', path: '/eng/', tags: { team: 'blue' }, policies: ['{}'] };
const app = { accountId: '111122223333', name: 'app', path: '/svc/', tags: { team: 'red', tier: 'web' }, policies: [] };

describe('principals', () => {
  it('root: the account root ARN, the account id as aws:userid', () => {
    expect(accountPrincipal('111122223333')).toEqual({
      type: 'Account',
      arn: 'arn:aws:iam::111122223333:root',
      accountId: '111122223333',
      userId: '111122223333',
      tags: {},
      identityPolicies: [],
    });
  });

  it('user: path in the ARN, a stable AIDA id of 21 characters', () => {
    const p = userPrincipal(alice);
    expect(p.arn).toBe('arn:aws:iam::111122223333:user/eng/alice');
    expect(p.userName).toBe('alice');
    expect(p.userId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect(userPrincipal({ ...alice }).userId).toBe(p.userId);
    expect(userPrincipal({ ...alice, accountId: '444455556666' }).userId).not.toBe(p.userId);
  });

  it('role session: assumed-role ARN without the role path, AROA…:session, session tags over role tags', () => {
    const p = roleSessionPrincipal(app, 'build-42', { sessionTags: { tier: 'batch' }, sessionPolicy: '{"x":1}' });
    expect(p.arn).toBe('arn:aws:sts::111122223333:assumed-role/app/build-42');
    expect(p.roleArn).toBe('arn:aws:iam::111122223333:role/svc/app');
    expect(p.userId).toBe(`${uniqueId('AROA', '111122223333', 'app')}:build-42`);
    expect(p.tags).toEqual({ team: 'red', tier: 'batch' });
    expect(p.sessionPolicy).toBe('{"x":1}');
    expect(p.userName).toBeUndefined();
  });
});
