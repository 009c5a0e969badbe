/**
 * ConnectCustomKeyStore rotates kmsuser's password to one only kmsd knows. That password is
 * stored before the cluster is told, so losing the node (or the answer) between the two never
 * leaves kmsuser with a password kmsd has lost: the next connect logs in with it and goes on.
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

const SCOPE = { account: DEV.accountId, region: REGION };
const CLUSTER = 'cluster-pwrotationab';
let hsm: FakeClusters;
let t: TestKmsd;
let trustAnchor: string;

beforeAll(async () => {
  hsm = new FakeClusters();
  const chain = await makeTrustChain(CLUSTER);
  trustAnchor = chain.trustAnchorPem;
  hsm.addCluster(CLUSTER, chain);
  t = await startKmsd({ clusters: hsm, keyStoreTransitionMs: 0 });
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
});
