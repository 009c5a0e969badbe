/**
 * The CloudHSM V2 API with the real emulated HSMs (src/cloudhsm/hsm/): the first HSM creates
 * the contents, activation and users go through kmsd's HSM management endpoint, a backup
 * captures kmsuser with the password it had then, a cluster created from the backup comes up
 * ACTIVE with it and with the same cluster certificate, and deleting a cluster drops its
 * contents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateClusterCommand,
  CreateHsmCommand,
  DeleteClusterCommand,
  DeleteHsmCommand,
  DescribeBackupsCommand,
  DescribeClustersCommand,
  InitializeClusterCommand,
} from '@aws-sdk/client-cloudhsm-v2';
import type { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import { rawRequest, startKmsd } from './helpers/kmsd.js';
import type { RawResponse, TestKmsd } from './helpers/kmsd.js';
import { OpensslWorkspace } from './helpers/openssl.js';
import { defaultConfig } from '../src/config.js';

let t: TestKmsd;
let hsm: CloudHSMV2Client;
beforeAll(async () => {
  t = await startKmsd({ config: { ...defaultConfig(), cloudhsm: { transitionMs: 0 } } });
  hsm = t.cloudhsm();
});
afterAll(async () => t.close());

/** kmsd's HSM management endpoint (what `kmsd hsm` calls). */
function manage(operation: string, body: Record<string, unknown>): Promise<RawResponse> {
  return rawRequest(t.url, {
    service: 'cloudhsm',
    target: `KmsdHsmManagement.${operation}`,
    body: JSON.stringify(body),
    signingDate: t.serviceNow(),
  });
}

async function cluster(id: string) {
  return (await hsm.send(new DescribeClustersCommand({ Filters: { clusterIds: [id] } }))).Clusters?.[0];
}

describe('with the real HSM module', () => {
  it('backs up kmsuser with its password at the time, and restores it into a new cluster', async () => {
    const ssl = new OpensslWorkspace();
    const { Cluster } = await hsm.send(
      new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0a0a0a0a', 'subnet-0b0b0b0b'] }),
    );
    const clusterId = Cluster?.ClusterId ?? '';
    await hsm.send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: 'us-east-1a' }));
    const ca = await ssl.makeCa('contents-ca');
    const signed = await ssl.signCsr(ca, (await cluster(clusterId))?.Certificates?.ClusterCsr ?? '');
    await hsm.send(new InitializeClusterCommand({ ClusterId: clusterId, SignedCert: signed, TrustAnchor: ca.pem }));

    expect((await manage('ActivateCluster', { ClusterId: clusterId, AdminPassword: 'adminPw11' })).body).toEqual({
      ClusterId: clusterId,
      State: 'ACTIVE',
    });
    expect((await cluster(clusterId))?.State).toBe('ACTIVE');
    const admin = { ClusterId: clusterId, AdminUsername: 'admin', AdminPassword: 'adminPw11' };
    const created = await manage('CreateUser', { ...admin, Username: 'kmsuser', Role: 'crypto-user', Password: 'firstPw11' });
    expect(created.status).toBe(200);

    // Adding an HSM to the active cluster takes the backup, with kmsuser's password firstPw11.
    await hsm.send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: 'us-east-1b' }));
    const [backup] = (await hsm.send(new DescribeBackupsCommand({ Filters: { clusterIds: [clusterId] } }))).Backups ?? [];
    expect(backup?.BackupState).toBe('READY');
    expect((await manage('ChangePassword', { ...admin, Username: 'kmsuser', Role: 'crypto-user', Password: 'secondPw22' })).status).toBe(
      200,
    );

    const { Cluster: restored } = await hsm.send(
      new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0c0c0c0c'], SourceBackupId: backup.BackupId }),
    );
    const restoredId = restored?.ClusterId ?? '';
    await hsm.send(new CreateHsmCommand({ ClusterId: restoredId, AvailabilityZone: 'us-east-1a' }));
    const view = await cluster(restoredId);
    expect(view?.State).toBe('ACTIVE');
    expect(view?.Certificates?.ClusterCertificate).toBe(signed);

    const asKmsuser = (id: string, password: string) => manage('ListKeys', { ClusterId: id, Username: 'kmsuser', Password: password });
    expect((await asKmsuser(restoredId, 'firstPw11')).body).toEqual({ Keys: [] });
    const stale = await asKmsuser(restoredId, 'secondPw22');
    expect(stale.status).toBe(400);
    expect(stale.body.__type).toBe('CloudHsmAccessDeniedException');
    expect((await asKmsuser(clusterId, 'secondPw22')).body).toEqual({ Keys: [] });

    // Deleting the original cluster drops its contents; the restored one keeps its own.
    for (const h of (await cluster(clusterId))?.Hsms ?? []) await hsm.send(new DeleteHsmCommand({ ClusterId: clusterId, HsmId: h.HsmId }));
    expect((await hsm.send(new DeleteClusterCommand({ ClusterId: clusterId }))).Cluster?.State).toBe('DELETED');
    expect((await asKmsuser(clusterId, 'secondPw22')).body.__type).toBe('CloudHsmResourceNotFoundException');
    expect((await asKmsuser(restoredId, 'firstPw11')).body).toEqual({ Keys: [] });
  });

  it('takes the daily backup of a cluster activated through the HSM side, on the clock', async () => {
    const ssl = new OpensslWorkspace();
    const { Cluster } = await hsm.send(new CreateClusterCommand({ HsmType: 'hsm2m.medium', SubnetIds: ['subnet-0d0d0d0d'] }));
    const clusterId = Cluster?.ClusterId ?? '';
    await hsm.send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: 'us-east-1a' }));
    const ca = await ssl.makeCa('daily-ca');
    const signed = await ssl.signCsr(ca, (await cluster(clusterId))?.Certificates?.ClusterCsr ?? '');
    await hsm.send(new InitializeClusterCommand({ ClusterId: clusterId, SignedCert: signed, TrustAnchor: ca.pem }));
    expect((await manage('ActivateCluster', { ClusterId: clusterId, AdminPassword: 'adminPw11' })).status).toBe(200);
    const backups = async () => (await hsm.send(new DescribeBackupsCommand({ Filters: { clusterIds: [clusterId] } }))).Backups ?? [];
    expect(await backups()).toEqual([]);
    await t.advanceClock(25 * 60 * 60);
    expect((await backups()).map((b) => b.BackupState)).toEqual(['READY']);
  });
});
