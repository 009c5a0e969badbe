/**
 * The custom key store steps tests repeat, for either kind of store: describe one, and
 * connect or disconnect it and let the background transition finish (tests run kmsd with a
 * transition delay of 0, so moving the clock by 0 runs it).
 */
import { ConnectCustomKeyStoreCommand, DescribeCustomKeyStoresCommand, DisconnectCustomKeyStoreCommand } from '@aws-sdk/client-kms';
import type { CustomKeyStoresListEntry, KMSClient } from '@aws-sdk/client-kms';
import type { TestKmsd } from './kmsd.js';

/** `kms` and `t` are read at each call: test files assign them in beforeAll. */
export function keyStoreSteps(kms: () => KMSClient, t: () => TestKmsd) {
  async function describeStore(id: string): Promise<CustomKeyStoresListEntry> {
    const { CustomKeyStores } = await kms().send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }));
    const entry = CustomKeyStores?.[0];
    if (!entry) throw new Error('no entry');
    return entry;
  }
  return {
    describeStore,
    async connect(id: string): Promise<CustomKeyStoresListEntry> {
      await kms().send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      await t().advanceClock(0);
      return describeStore(id);
    },
    async disconnect(id: string): Promise<CustomKeyStoresListEntry> {
      await kms().send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: id }));
      await t().advanceClock(0);
      return describeStore(id);
    },
  };
}
