/**
 * Invariants that must hold across nodes, on three kmsd instances that share one throwaway
 * PostgreSQL (in this process, each with its own store pool, clock and sweeper): an HSM user
 * locks out after exactly the documented number of failed logins however the failures are
 * spread over nodes, a custom key store connected or disconnected through one node is
 * (after one tick of background work) connected or disconnected on all, and a deletion that falls due while every node sweeps is done without a
 * node failing on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisconnectCustomKeyStoreCommand,
  EncryptCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { defaultConfig } from '../src/config.js';
import { startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { ADMIN_PASSWORD, createKeyStoreCluster, kmsuserArgs, SUBNETS } from './helpers/cluster.js';
import { hsmCli } from './helpers/hsm-cli.js';
import { startPostgres } from './helpers/postgres.js';
import type { TestPostgres } from './helpers/postgres.js';

let postgres: TestPostgres;
let nodes: TestKmsd[] = [];
/** Every error a node logged (a background task that failed, a 500). */
const errors: Record<string, unknown>[] = [];

beforeAll(async () => {
  postgres = startPostgres();
  const store = await postgres.createDatabase();
  const rootKey = randomBytes(32).toString('base64');
  const config = { ...defaultConfig(), subnets: { [SUBNETS[0]]: 'us-east-1a', [SUBNETS[1]]: 'us-east-1b' }, cloudhsm: { transitionMs: 0 } };
  for (let i = 0; i < 3; i++)
    nodes.push(
      await startKmsd({ store, rootKey, config, keyStoreTransitionMs: 0, log: (e) => void (e.level === 'error' && errors.push(e)) }),
    );
}, 120_000);

afterAll(async () => {
  for (const n of nodes) await n.close();
  nodes = [];
  postgres?.stop();
});

describe('three kmsd nodes on one PostgreSQL', () => {
  it('locks an HSM user out after exactly 5 failed logins spread over the nodes', async () => {
    const { clusterId } = await createKeyStoreCluster(nodes[0], 'kmsuserPswd1');
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, i) => hsmCli(nodes[i % 3].url, ['key', 'list', ...kmsuserArgs(clusterId, 'wrong-password')])),
    );
    const prefix = "kmsd hsm: CloudHsmAccessDeniedException: Invalid password for crypto-user 'kmsuser'; ";
    const messages = attempts.map((a) => a.stderr).sort();
    expect(attempts.every((a) => a.code === 1)).toBe(true);
    expect(messages).toEqual(
      [
        `${prefix}1 more failed login(s) will lock the user out.\n`,
        `${prefix}2 more failed login(s) will lock the user out.\n`,
        `${prefix}3 more failed login(s) will lock the user out.\n`,
        `${prefix}4 more failed login(s) will lock the user out.\n`,
        `${prefix}the user is now locked out.\n`,
        ...Array.from(
          { length: 3 },
          () =>
            "kmsd hsm: CloudHsmAccessDeniedException: User 'kmsuser' is locked out after 5 failed logins; an admin must change its password to unlock it.\n",
        ),
      ].sort(),
    );
    // Locked on every node, even with the right password.
    for (const n of nodes) {
      const right = await hsmCli(n.url, ['key', 'list', ...kmsuserArgs(clusterId, 'kmsuserPswd1')]);
      expect(right.stderr).toContain("User 'kmsuser' is locked out after 5 failed logins");
    }
  });

  it('serves a custom key store connected through one node on every node, and disconnects it everywhere', async () => {
    const cluster = await createKeyStoreCluster(nodes[0], 'kmsuserPswd1');
    const { CustomKeyStoreId } = await nodes[0].kms().send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: 'shared-store',
        CloudHsmClusterId: cluster.clusterId,
        TrustAnchorCertificate: cluster.trustAnchor,
        KeyStorePassword: 'kmsuserPswd1',
      }),
    );
    await nodes[1].kms().send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId }));
    await nodes[1].advanceClock(0); // node 2 completes the connect (login, password rotation)
    const state = await nodes[2].kms().send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId }));
    expect(state.CustomKeyStores?.[0].ConnectionState).toBe('CONNECTED');
    // One tick of the other nodes' background work: they log in with the rotated password.
    await Promise.all([nodes[0].advanceClock(0), nodes[2].advanceClock(0)]);

    const { KeyMetadata } = await nodes[2].kms().send(new CreateKeyCommand({ CustomKeyStoreId, Origin: 'AWS_CLOUDHSM' }));
    const KeyId = KeyMetadata?.KeyId;
    for (const [i, n] of nodes.entries()) {
      const enc = await n.kms().send(new EncryptCommand({ KeyId, Plaintext: Buffer.from(`node ${i}`) }));
      const dec = await nodes[(i + 1) % 3].kms().send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
      expect(Buffer.from(dec.Plaintext ?? new Uint8Array()).toString()).toBe(`node ${i}`);
    }
    const admin = ['--cluster-id', cluster.clusterId, '--admin-password', ADMIN_PASSWORD];
    for (const n of nodes) {
      expect((await hsmCli(n.url, ['user', 'list', ...admin])).json).toMatchObject({
        Users: [{}, { Username: 'kmsuser', LoggedIn: true }],
      });
    }

    await nodes[0].kms().send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId }));
    await nodes[0].advanceClock(0);
    await Promise.all([nodes[1].advanceClock(0), nodes[2].advanceClock(0)]);
    for (const n of nodes) {
      await expect(n.kms().send(new EncryptCommand({ KeyId, Plaintext: Buffer.from('x') }))).rejects.toMatchObject({
        name: 'KMSInvalidStateException',
        $metadata: { httpStatusCode: 400 },
      });
      expect((await hsmCli(n.url, ['user', 'list', ...admin])).json).toMatchObject({
        Users: [{}, { Username: 'kmsuser', LoggedIn: false }],
      });
    }
    expect(errors).toEqual([]);
  });

  it('deletes a key whose waiting period ended while every node sweeps at once, with no node failing', async () => {
    const { KeyMetadata } = await nodes[0].kms().send(new CreateKeyCommand({}));
    const KeyId = KeyMetadata?.KeyId;
    await nodes[1].kms().send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }));
    // Every node's clock passes the deletion date and every node sweeps, at the same time.
    await Promise.all(nodes.map((n) => n.advanceClock(8 * 24 * 3600)));
    for (const n of nodes) {
      await expect(n.kms().send(new DescribeKeyCommand({ KeyId }))).rejects.toMatchObject({
        name: 'NotFoundException',
        $metadata: { httpStatusCode: 400 },
      });
    }
    expect(errors).toEqual([]);
  });
});
