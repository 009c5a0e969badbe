/**
 * CloudHSM state survives a restart: kmsd started twice on the same data directory keeps
 * clusters, HSMs, certificates, backups and its hardware roots. The cluster is initialized with
 * the AWS CLI, as the CloudHSM user guide does it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CreateClusterCommand, CreateHsmCommand, DescribeBackupsCommand, DescribeClustersCommand } from '@aws-sdk/client-cloudhsm-v2';
import { awsCli, removeDir, startKmsd } from './helpers/kmsd.js';
import { fakeHsmContents } from './helpers/fake-hsm-contents.js';
import { OpensslWorkspace } from './helpers/openssl.js';
import { defaultConfig } from '../src/config.js';

const config = { ...defaultConfig(), cloudhsm: { transitionMs: 0 } };
let dataDir: string | undefined;
afterAll(() => removeDir(dataDir));

describe('restart', () => {
  it('keeps clusters, certificates, backups and the hardware roots', async () => {
    const first = await startKmsd({ persistent: true, config, hsmContents: fakeHsmContents() });
    dataDir = first.dataDir;
    const hsm = first.cloudhsm();
    const ssl = new OpensslWorkspace();
    const { Cluster } = await hsm.send(
      new CreateClusterCommand({
        HsmType: 'hsm2m.medium',
        SubnetIds: ['subnet-0a0a0a0a', 'subnet-0b0b0b0b'],
        TagList: [{ Key: 'k', Value: 'v' }],
      }),
    );
    const clusterId = Cluster?.ClusterId ?? '';
    await hsm.send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: 'us-east-1a' }));
    // The documented initialization flow with the AWS CLI: fetch the CSR, sign it, initialize.
    const fetched = await awsCli(first.url, [
      'cloudhsmv2',
      'describe-clusters',
      '--filters',
      `clusterIds=${clusterId}`,
      '--query',
      'Clusters[].Certificates.ClusterCsr',
    ]);
    const [csr] = fetched.json as string[];
    const ca = await ssl.makeCa('restart-ca');
    const signedFile = ssl.file('cluster.crt', await ssl.signCsr(ca, csr));
    const init = await awsCli(first.url, [
      'cloudhsmv2',
      'initialize-cluster',
      '--cluster-id',
      clusterId,
      '--signed-cert',
      `file://${signedFile}`,
      '--trust-anchor',
      `file://${ca.certFile}`,
    ]);
    expect(init.json).toEqual({ State: 'INITIALIZED' });
    await hsm.send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: 'us-east-1b' }));
    const before = (await hsm.send(new DescribeClustersCommand({}))).Clusters;
    const backupsBefore = (await hsm.send(new DescribeBackupsCommand({}))).Backups;
    const rootBefore = await (await fetch(`${first.url}/cloudhsm/hardware-roots/aws.pem`)).text();
    expect(backupsBefore).toHaveLength(1);
    await first.close();

    const second = await startKmsd({ persistent: true, dataDir, config, hsmContents: fakeHsmContents() });
    try {
      const hsm2 = second.cloudhsm();
      const after = (await hsm2.send(new DescribeClustersCommand({}))).Clusters;
      expect(after).toEqual(before);
      expect(after?.[0]).toMatchObject({ State: 'INITIALIZED', TagList: [{ Key: 'k', Value: 'v' }] });
      expect(after?.[0].Hsms).toHaveLength(2);
      expect((await hsm2.send(new DescribeBackupsCommand({}))).Backups).toEqual(backupsBefore);
      expect(await (await fetch(`${second.url}/cloudhsm/hardware-roots/aws.pem`)).text()).toBe(rootBefore);
      // The persisted root still signs: a new cluster's hardware certificate chains to it.
      const { Cluster: next } = await hsm2.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0c0c0c0c'] }));
      await hsm2.send(new CreateHsmCommand({ ClusterId: next?.ClusterId, AvailabilityZone: 'us-east-1a' }));
      const certs = (await hsm2.send(new DescribeClustersCommand({ Filters: { clusterIds: [next?.ClusterId ?? ''] } }))).Clusters?.[0]
        .Certificates;
      expect((await ssl.verify(rootBefore, certs?.AwsHardwareCertificate ?? '', certs?.HsmCertificate ?? '')).code).toBe(0);
    } finally {
      await second.close();
    }
  });
});
