/**
 * The CloudHSM V2 operation table: every operation of the model has an entry, so the
 * compiler reports a missing one.
 */
import type { CloudhsmOperationName, CloudhsmOperationTypes } from '../../generated/cloudhsmv2.js';
import type { CloudHsmHandler } from '../context.js';
import { copyBackupToRegion } from './copy-backup-to-region.js';
import { createCluster } from './create-cluster.js';
import { createHsm } from './create-hsm.js';
import { deleteBackup } from './delete-backup.js';
import { deleteCluster } from './delete-cluster.js';
import { deleteHsm } from './delete-hsm.js';
import { deleteResourcePolicy } from './delete-resource-policy.js';
import { describeBackups } from './describe-backups.js';
import { describeClusters } from './describe-clusters.js';
import { getResourcePolicy } from './get-resource-policy.js';
import { initializeCluster } from './initialize-cluster.js';
import { listTags } from './list-tags.js';
import { modifyBackupAttributes } from './modify-backup-attributes.js';
import { modifyCluster } from './modify-cluster.js';
import { putResourcePolicy } from './put-resource-policy.js';
import { restoreBackup } from './restore-backup.js';
import { tagResource } from './tag-resource.js';
import { untagResource } from './untag-resource.js';

export type CloudHsmHandlers = {
  [Op in CloudhsmOperationName]: CloudHsmHandler<CloudhsmOperationTypes[Op]['input'], CloudhsmOperationTypes[Op]['output']>;
};

export const CLOUDHSM_HANDLERS: CloudHsmHandlers = {
  CopyBackupToRegion: copyBackupToRegion,
  CreateCluster: createCluster,
  CreateHsm: createHsm,
  DeleteBackup: deleteBackup,
  DeleteCluster: deleteCluster,
  DeleteHsm: deleteHsm,
  DeleteResourcePolicy: deleteResourcePolicy,
  DescribeBackups: describeBackups,
  DescribeClusters: describeClusters,
  GetResourcePolicy: getResourcePolicy,
  InitializeCluster: initializeCluster,
  ListTags: listTags,
  ModifyBackupAttributes: modifyBackupAttributes,
  ModifyCluster: modifyCluster,
  PutResourcePolicy: putResourcePolicy,
  RestoreBackup: restoreBackup,
  TagResource: tagResource,
  UntagResource: untagResource,
};
