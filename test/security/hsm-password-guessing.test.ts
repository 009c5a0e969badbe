/**
 * Issue 14: HSM password guessing through restores. A backup copies each user's password
 * hash; if the failed-login count came back with it, an attacker could guess 4 times, create a
 * cluster from a backup taken before the guesses, and guess 4 more, without end. The count is
 * kept per password hash, so every copy shares it: the 5th wrong guess anywhere locks them all.
 * The attacker here is a caller with the cluster's API rights who does not know the password,
 * guessing over HTTP through kmsd's HSM management endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startKmsd } from '../helpers/kmsd.js';
import type { TestKmsd } from '../helpers/kmsd.js';
import { backupNow, createKeyStoreCluster, restoreCluster } from '../helpers/cluster.js';
import { defaultConfig } from '../../src/config.js';

const PASSWORD = 'kmsPswd1';

let t: TestKmsd;
beforeAll(async () => {
  t = await startKmsd({ config: { ...defaultConfig(), cloudhsm: { transitionMs: 0 } } });
});
afterAll(async () => t?.close());

/** One login attempt as kmsuser, signed like any AWS request. */
function login(clusterId: string, password: string) {
  return rawRequest(t.url, {
    service: 'cloudhsm',
    target: 'KmsdHsmManagement.Login',
    body: JSON.stringify({ ClusterId: clusterId, Username: 'kmsuser', Role: 'crypto-user', Password: password }),
  });
}

const denied = (message: string) => ({ status: 400, body: { __type: 'CloudHsmAccessDeniedException', Message: message } });
const left = (n: number) => denied(`Invalid password for crypto-user 'kmsuser'; ${n} more failed login(s) will lock the user out.`);
const LOCKED = denied("User 'kmsuser' is locked out after 5 failed logins; an admin must change its password to unlock it.");

describe('guessing an HSM password through restores', () => {
  it('counts guesses across every cluster restored from one backup, and locks them all at the 5th', async () => {
    const { clusterId } = await createKeyStoreCluster(t, PASSWORD);
    const backup = await backupNow(t, clusterId);

    for (let i = 0; i < 3; i++) expect(await pick(login(clusterId, `guess-${i}`))).toEqual(left(4 - i));
    // A fresh cluster from the backup taken before the guesses: the count came along.
    const restored = await restoreCluster(t, backup);
    expect(await pick(login(restored, 'guess-3'))).toEqual(left(1));
    // And once more from the same backup, after the lockout.
    expect(await pick(login(restored, 'guess-4'))).toEqual(
      denied("Invalid password for crypto-user 'kmsuser'; the user is now locked out."),
    );
    const again = await restoreCluster(t, backup);
    for (const c of [clusterId, restored, again]) expect(await pick(login(c, PASSWORD))).toEqual(LOCKED);
  });
});

async function pick(response: ReturnType<typeof login>) {
  const { status, body } = await response;
  return { status, body };
}
