import type { CreateHsmRequest, CreateHsmResponse } from '../../generated/cloudhsmv2.js';
import { CloudHsmInvalidRequestException, CloudHsmResourceLimitExceededException } from '../../generated/cloudhsmv2.js';
import { DAY_MS } from '../../core/clock.js';
import { clusterTable } from '../rows.js';
import type { ClusterRow, HsmRow } from '../rows.js';
import type { CloudHsmContext, CloudHsmHandler } from '../context.js';
import { BACKED_UP_STATES, findCluster, hsmTransitionEnd, hsmView, requireState, saveCluster, settleCluster } from '../clusters.js';
import { takeBackup } from '../backups.js';
import { addressInSubnet, newEc2Id, newResourceId } from '../ids.js';

/** Cluster size limit and the default HSMs-per-account-and-Region quota (limits.md). */
export const MAX_HSMS_PER_CLUSTER = 28;
export const MAX_HSMS_PER_ACCOUNT = 6;

/**
 * CreateHsm (create-hsm.md): an HSM in an AZ where the cluster has a subnet. The first HSM of
 * a new cluster creates the cluster key pair, CSR and hardware certificates and the initial
 * contents; the first HSM of a cluster created from a backup loads the backup and makes the
 * cluster ACTIVE. Adding an HSM to an initialized cluster takes a backup.
 */
export const createHsm: CloudHsmHandler<CreateHsmRequest, CreateHsmResponse> = async (input, ctx) => {
  const before = await findCluster(ctx, input.ClusterId);
  checkPlacement(before, input);
  const hsmId = newResourceId('hsm');
  // Key generation is slow: do it outside the transaction, use it only if still needed.
  const firstCertificates = needsCertificates(before)
    ? await ctx.deps.certificates.forFirstHsm(clusterKeyAad(ctx, before.ClusterId), hsmId)
    : undefined;

  return ctx.deps.store.transaction(async () => {
    const row = await findCluster(ctx, input.ClusterId);
    const subnetId = checkPlacement(row, input);
    await checkAccountQuota(ctx);
    const used = new Set(row.Hsms.map((h) => h.EniIp));
    if (input.IpAddress !== undefined && used.has(input.IpAddress)) {
      throw new CloudHsmInvalidRequestException(`IP address ${input.IpAddress} is already used by an HSM in this cluster.`);
    }
    const ip = input.IpAddress ?? addressInSubnet(subnetId, used);
    if (ip === undefined) throw new CloudHsmInvalidRequestException(`Subnet ${subnetId} has no free IP address.`);
    const end = hsmTransitionEnd(ctx);
    const hsm: HsmRow = {
      HsmId: hsmId,
      ClusterId: row.ClusterId,
      AvailabilityZone: input.AvailabilityZone,
      SubnetId: subnetId,
      EniId: newEc2Id('eni'),
      EniIp: ip,
      ...(row.NetworkType === 'DUALSTACK' ? { EniIpV6: `fd00:${ip.split('.').map(Number).join(':')}::1` } : {}),
      HsmType: row.HsmType,
      State: end === undefined ? 'ACTIVE' : 'CREATE_IN_PROGRESS',
      ...(end === undefined ? {} : { transitionEndsAt: end }),
    };
    const backupNow = BACKED_UP_STATES.includes(row.State) && row.Hsms.length > 0;

    if (row.pendingRestore !== undefined) {
      // A cluster created from a backup: its first HSM comes up with the backup's contents.
      await ctx.deps.contents.restore(ctx.scope, row.ClusterId, row.pendingRestore);
      delete row.pendingRestore;
      row.State = 'ACTIVE';
      row.nextBackupAt = ctx.now.getTime() + DAY_MS;
    } else if (needsCertificates(row)) {
      if (!firstCertificates) throw new CloudHsmInvalidRequestException('The cluster changed while the HSM was being created; try again.');
      const { clusterPrivateKeyWrapped, ...certificates } = firstCertificates;
      row.clusterPrivateKeyWrapped = clusterPrivateKeyWrapped;
      row.Certificates = certificates;
      await ctx.deps.contents.initialize(ctx.scope, row.ClusterId);
    }
    row.Hsms.push(hsm);
    if (backupNow) await takeBackup(ctx, row);
    await saveCluster(ctx, row);
    return { Hsm: hsmView(hsm) };
  });
};

const clusterKeyAad = (ctx: CloudHsmContext, clusterId: string): string =>
  `kmsd-cloudhsm-cluster-key:${ctx.scope.account}:${ctx.scope.region}:${clusterId}`;

/** A new (not restored) cluster that has never had an HSM: no CSR yet. */
function needsCertificates(row: ClusterRow): boolean {
  return row.SourceBackupId === undefined && row.Certificates.HsmCertificate === undefined;
}

/** The subnet for the requested AZ; the cluster state and size must allow another HSM. */
function checkPlacement(row: ClusterRow, input: CreateHsmRequest): string {
  requireState(row, ['UNINITIALIZED', 'INITIALIZED', 'ACTIVE', 'DEGRADED'], 'create an HSM');
  const subnetId = row.SubnetMapping[input.AvailabilityZone];
  if (subnetId === undefined) {
    throw new CloudHsmInvalidRequestException(
      `Cluster ${row.ClusterId} has no subnet in Availability Zone ${input.AvailabilityZone}. Its Availability Zones: ${Object.keys(row.SubnetMapping).join(', ')}.`,
    );
  }
  if (row.Hsms.length >= MAX_HSMS_PER_CLUSTER) {
    throw new CloudHsmResourceLimitExceededException(`A cluster can have at most ${MAX_HSMS_PER_CLUSTER} HSMs.`);
  }
  return subnetId;
}

async function checkAccountQuota(ctx: CloudHsmContext): Promise<void> {
  const clusters = (await clusterTable(ctx.deps.store).list(ctx.scope, { limit: 1_000_000 })).items;
  const hsms = clusters.reduce((n, c) => n + settleCluster(c, ctx.now.getTime()).Hsms.length, 0);
  if (hsms >= MAX_HSMS_PER_ACCOUNT) {
    throw new CloudHsmResourceLimitExceededException(
      `The account already has the maximum number of HSMs (${MAX_HSMS_PER_ACCOUNT}) in this Region.`,
    );
  }
}
