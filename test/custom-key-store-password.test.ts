/**
 * ConnectCustomKeyStore rotates kmsuser's password to one only kmsd knows. That password is
 * stored before the cluster is told, so losing the node (or the answer) between the two never
 * leaves kmsuser with a password kmsd has lost: the next connect logs in with it and goes on.
 * Failures of the background connect are logged with their cause, never swallowed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  EncryptCommand,
} from '@aws-sdk/client-kms';
import { DEV, REGION, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { FakeClusters, makeTrustChain } from './helpers/fake-clusters.js';
import { customKeyStoreTable } from '../src/kms/custom-key-stores.js';
import type { LogEntry } from '../src/core/log.js';

const SCOPE = { account: DEV.accountId, region: REGION };
const CLUSTER = 'cluster-pwrotationab';
let hsm: FakeClusters;
let t: TestKmsd;
let trustAnchor: string;
const logged: LogEntry[] = [];
let second: Awaited<ReturnType<typeof makeTrustChain>>;

beforeAll(async () => {
  hsm = new FakeClusters();
  const chain = await makeTrustChain(CLUSTER);
  trustAnchor = chain.trustAnchorPem;
  hsm.addCluster(CLUSTER, chain);
  second = await makeTrustChain('cluster-pwrotationcd');
  hsm.addCluster('cluster-pwrotationcd', second);
  t = await startKmsd({ clusters: hsm, keyStoreTransitionMs: 0, log: (entry) => logged.push(entry) });
});
afterAll(async () => t.close());

async function state(CustomKeyStoreId: string) {
  const { CustomKeyStores } = await t.kms().send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId }));
  return CustomKeyStores?.[0];
}

describe('kmsuser password rotation at connect', () => {
  it('stores the new password before the cluster gets it, and recovers when the answer is lost', async () => {
    const { CustomKeyStoreId = '' } = await t.kms().send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: 'rotation',
        CloudHsmClusterId: CLUSTER,
        TrustAnchorCertificate: trustAnchor,
        KeyStorePassword: 'kmsPswd1',
      }),
    );
    const table = customKeyStoreTable(t.kmsd.store);
    const before = await table.get(SCOPE, CustomKeyStoreId);

    // The cluster takes the new password, but its answer never reaches kmsd.
    const change = hsm.changePassword.bind(hsm);
    const seenAtChange: (string | undefined)[] = [];
    hsm.changePassword = async (sessionId, password) => {
      seenAtChange.push((await table.get(SCOPE, CustomKeyStoreId))?.nextPasswordWrapped);
      await change(sessionId, password);
      throw new Error('connection reset');
    };
    await t.kms().send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId }));
    await t.advanceClock(0);
    hsm.changePassword = change;
    expect(await state(CustomKeyStoreId)).toMatchObject({ ConnectionState: 'FAILED', ConnectionErrorCode: 'INTERNAL_ERROR' });
    // The store only says INTERNAL_ERROR; the log says why.
    expect(logged).toContainEqual(
      expect.objectContaining({
        msg: 'custom key store connect failed',
        customKeyStoreId: CustomKeyStoreId,
        err: new Error('connection reset'),
      }),
    );
    expect(hsm.user(CLUSTER).password).not.toBe('kmsPswd1');
    const failed = await table.get(SCOPE, CustomKeyStoreId);
    // Stored before the cluster was told, and kept since kmsd cannot tell which one kmsuser has.
    expect(seenAtChange).toHaveLength(1);
    expect(seenAtChange[0]).toMatch(/\S/);
    expect(failed?.nextPasswordWrapped).toBe(seenAtChange[0]);
    expect(failed?.passwordWrapped).toBe(before?.passwordWrapped);

    // The next connect logs in with the stored new password and rotates again.
    await t.kms().send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId }));
    await t.advanceClock(0);
    await t.kms().send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId }));
    await t.advanceClock(0);
    expect(await state(CustomKeyStoreId)).toMatchObject({ ConnectionState: 'CONNECTED' });
    const connected = await table.get(SCOPE, CustomKeyStoreId);
    expect(connected?.nextPasswordWrapped).toBeUndefined();
    expect([before?.passwordWrapped, seenAtChange[0]]).not.toContain(connected?.passwordWrapped);

    const { KeyMetadata } = await t.kms().send(new CreateKeyCommand({ CustomKeyStoreId, Origin: 'AWS_CLOUDHSM' }));
    const enc = await t.kms().send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('still mine') }));
    const dec = await t.kms().send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe('still mine');
  });

  it('logs a failure of the transition that Connect starts at once, and the next tick finishes it', async () => {
    const { CustomKeyStoreId = '' } = await t.kms().send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: 'kick-fails',
        CloudHsmClusterId: 'cluster-pwrotationcd',
        TrustAnchorCertificate: second.trustAnchorPem,
        KeyStorePassword: 'kmsPswd1',
      }),
    );
    const table = customKeyStoreTable(t.kmsd.store);
    const claimDue = table.claimDue;
    table.claimDue = () => Promise.reject(new Error('store unavailable'));
    const failure = { msg: 'custom key store transition failed', err: new Error('store unavailable') };
    try {
      await t.kms().send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId }));
      // The immediate transition runs after the response: wait for its log line.
      for (let i = 0; i < 200 && !logged.some((e) => e.msg === failure.msg); i++) await new Promise((r) => setTimeout(r, 10));
      expect(logged).toContainEqual(expect.objectContaining(failure));
      expect(await state(CustomKeyStoreId)).toMatchObject({ ConnectionState: 'CONNECTING' });
    } finally {
      table.claimDue = claimDue;
    }
    await t.advanceClock(0);
    expect(await state(CustomKeyStoreId)).toMatchObject({ ConnectionState: 'CONNECTED' });
  });
});
