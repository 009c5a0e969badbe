import type { CreateClusterRequest, CreateClusterResponse } from '../../generated/cloudhsmv2.js';
import {
  CloudHsmInvalidRequestException,
  CloudHsmResourceLimitExceededException,
  CloudHsmResourceNotFoundException,
} from '../../generated/cloudhsmv2.js';
import { backupTable, clusterTable } from '../rows.js';
import type { ClusterRow } from '../rows.js';
import type { CloudHsmContext, CloudHsmHandler } from '../context.js';
import { beginTransition, checkRetention, clusterView, saveCluster, settleCluster } from '../clusters.js';
import { parseBackupRef } from '../backups.js';
import { backupPolicyAllows } from '../authorization.js';
import { mergeTags } from '../tags.js';
import { PKCS11_TOKEN_TAG } from '../../keystores/cloudhsm-clusters.js';
import { newEc2Id, newResourceId, vpcIdFor } from '../ids.js';

/** Default service quota: clusters per account and Region (limits.md). */
export const MAX_CLUSTERS = 4;
/** HSM types kmsd emulates, and the modes each supports (hsm1 is FIPS only). */
const HSM_MODES: Record<string, readonly string[]> = { 'hsm1.medium': ['FIPS'], 'hsm2m.medium': ['FIPS', 'NON_FIPS'] };

/**
 * CreateCluster: a new cluster (CREATE_IN_PROGRESS -> UNINITIALIZED), or one created from a
 * backup, which needs no initialization and gets the backup's certificates and contents.
 */
export const createCluster: CloudHsmHandler<CreateClusterRequest, CreateClusterResponse> = async (input, ctx) => {
  const modes = HSM_MODES[input.HsmType];
  if (!modes)
    throw new CloudHsmInvalidRequestException(
      `HSM type ${input.HsmType} is not supported. Supported types: ${Object.keys(HSM_MODES).join(', ')}.`,
    );
  const retention = checkRetention(input.BackupRetentionPolicy);
  const subnetMapping = placeSubnets(ctx, input.SubnetIds);
  const tags = mergeTags([], input.TagList ?? []);
  checkPkcs11Token(ctx, tags);

  return ctx.deps.store.transaction(async () => {
    const clusters = clusterTable(ctx.deps.store);
    const live = (await clusters.list(ctx.scope, { limit: 1_000_000 })).items.filter(
      (c) => settleCluster(c, ctx.now.getTime()).State !== 'DELETED',
    );
    if (live.length >= MAX_CLUSTERS) {
      throw new CloudHsmResourceLimitExceededException(
        `The account already has the maximum number of clusters (${MAX_CLUSTERS}) in this Region.`,
      );
    }
    const source = input.SourceBackupId !== undefined ? await sourceBackup(ctx, input.SourceBackupId) : undefined;
    const mode = source?.Mode ?? input.Mode ?? 'FIPS';
    if (!modes.includes(mode)) throw new CloudHsmInvalidRequestException(`HSM type ${input.HsmType} does not support mode ${mode}.`);

    const row: ClusterRow = {
      ClusterId: newResourceId('cluster'),
      HsmType: input.HsmType,
      Mode: mode,
      NetworkType: input.NetworkType ?? 'IPV4',
      State: 'CREATE_IN_PROGRESS',
      SubnetMapping: subnetMapping,
      VpcId: vpcIdFor(ctx.scope),
      SecurityGroup: newEc2Id('sg'),
      CreateTimestamp: ctx.now.getTime(),
      BackupPolicy: 'DEFAULT',
      BackupRetentionPolicy: retention,
      TagList: tags,
      Hsms: [],
      Certificates: source ? { ...source.certificates } : {},
      ...(source ? { SourceBackupId: source.BackupId, pendingRestore: source.contents } : {}),
    };
    beginTransition(ctx, row, 'CREATE_IN_PROGRESS', 'UNINITIALIZED');
    await saveCluster(ctx, row);
    return { Cluster: clusterView(row) };
  });
};

/**
 * kmsd's own tag: the cluster keeps its KMS keys in a configured PKCS#11 token. A name kmsd
 * does not know would leave KMS keys with nowhere to live, so the cluster is refused.
 */
function checkPkcs11Token(ctx: CloudHsmContext, tags: { Key: string; Value: string }[]): void {
  const name = tags.find((t) => t.Key === PKCS11_TOKEN_TAG)?.Value;
  if (name !== undefined && !ctx.deps.pkcs11Tokens?.has(name)) {
    throw new CloudHsmInvalidRequestException(`kmsd has no PKCS#11 token named '${name}' (tag ${PKCS11_TOKEN_TAG}).`);
  }
}

/**
 * kmsd has no EC2: a subnet's Availability Zone comes from the configuration, otherwise the
 * subnets are placed in order in <region>a, <region>b, ... Like AWS, one subnet per AZ.
 */
function placeSubnets(ctx: CloudHsmContext, subnetIds: string[]): Record<string, string> {
  const mapping: Record<string, string> = {};
  subnetIds.forEach((subnet, i) => {
    const az = ctx.deps.subnets[subnet] ?? `${ctx.scope.region}${String.fromCharCode(97 + i)}`;
    const taken = mapping[az];
    if (taken === subnet) throw new CloudHsmInvalidRequestException(`Subnet ${subnet} is listed more than once.`);
    if (taken !== undefined) {
      throw new CloudHsmInvalidRequestException(
        `Subnets ${taken} and ${subnet} are in the same Availability Zone (${az}); use one subnet per Availability Zone.`,
      );
    }
    mapping[az] = subnet;
  });
  return mapping;
}

/** The backup to restore: the caller's own (id or ARN), or another account's shared with it by policy. */
async function sourceBackup(ctx: CloudHsmContext, ref: string) {
  const { scope, id } = parseBackupRef(ref, ctx.scope);
  const notFound = new CloudHsmResourceNotFoundException(`Backup ${ref} not found.`);
  if (scope.region !== ctx.scope.region) throw notFound;
  const backup = await backupTable(ctx.deps.store).get(scope, id);
  if (!backup) throw notFound;
  if (scope.account !== ctx.scope.account && !(await backupPolicyAllows(ctx, backup, scope, 'cloudhsm:CreateCluster'))) throw notFound;
  if (backup.BackupState !== 'READY') {
    throw new CloudHsmInvalidRequestException(
      `Backup ${backup.BackupId} is in state ${backup.BackupState}; only READY backups can be restored into a cluster.`,
    );
  }
  return backup;
}
