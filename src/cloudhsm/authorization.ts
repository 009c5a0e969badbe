/**
 * Declared authorization for every CloudHSM V2 operation: its IAM action `cloudhsm:<Op>`
 * and the resource it acts on (a cluster, a backup, or none). CloudHSM has no resource
 * policies on clusters, so every call is decided by the caller's IAM identity policies
 * (the account root always passes); backups shared with other accounts are decided by their
 * resource policy as well (backupPolicyAllows).
 */
import type { CloudhsmOperationName } from '../generated/cloudhsmv2.js';
import { AccessDeniedException } from '../core/service-error.js';
import { accessDeniedMessage, decideByIdentity, decideWithResourcePolicy } from '../auth/authorizer.js';
import { compilePolicy, MalformedPolicyError } from '../auth/policy/index.js';
import type { ConditionValues } from '../auth/policy/index.js';
import type { Scope } from '../store/store.js';
import type { CloudHsmContext } from './context.js';
import { backupArn, clusterArn } from './ids.js';

type Input = Readonly<Record<string, unknown>>;

export interface CloudHsmOperationAuthorization {
  action: string;
  /** The ARN of the resource the request names, or '*' when it names none. */
  resource: (input: Input, scope: Scope) => string;
}

const member = (input: Input, name: string): string => (typeof input[name] === 'string' ? input[name] : '');
const none = () => '*';
const cluster = (input: Input, scope: Scope) => clusterArn(scope, member(input, 'ClusterId'));
const backup = (input: Input, scope: Scope) => {
  const id = member(input, 'BackupId');
  return id.startsWith('arn:') ? id : backupArn(scope, id);
};
/** ListTags / TagResource / UntagResource name a cluster or a backup by id. */
const taggable = (input: Input, scope: Scope) => {
  const id = member(input, 'ResourceId');
  return id.startsWith('backup-') ? backupArn(scope, id) : clusterArn(scope, id);
};
const byArn = (input: Input) => member(input, 'ResourceArn') || '*';

const op = (name: CloudhsmOperationName, resource: CloudHsmOperationAuthorization['resource']): CloudHsmOperationAuthorization => ({
  action: `cloudhsm:${name}`,
  resource,
});

export const CLOUDHSM_AUTHORIZATION: Record<CloudhsmOperationName, CloudHsmOperationAuthorization> = {
  CopyBackupToRegion: op('CopyBackupToRegion', backup),
  CreateCluster: op('CreateCluster', none),
  CreateHsm: op('CreateHsm', cluster),
  DeleteBackup: op('DeleteBackup', backup),
  DeleteCluster: op('DeleteCluster', cluster),
  DeleteHsm: op('DeleteHsm', cluster),
  DeleteResourcePolicy: op('DeleteResourcePolicy', byArn),
  DescribeBackups: op('DescribeBackups', none),
  DescribeClusters: op('DescribeClusters', none),
  GetResourcePolicy: op('GetResourcePolicy', byArn),
  InitializeCluster: op('InitializeCluster', cluster),
  ListTags: op('ListTags', taggable),
  ModifyBackupAttributes: op('ModifyBackupAttributes', backup),
  ModifyCluster: op('ModifyCluster', cluster),
  PutResourcePolicy: op('PutResourcePolicy', byArn),
  RestoreBackup: op('RestoreBackup', backup),
  TagResource: op('TagResource', taggable),
  UntagResource: op('UntagResource', taggable),
};

function conditions(ctx: CloudHsmContext, input: Input): ConditionValues {
  const out: ConditionValues = {
    'aws:SourceIp': ctx.sourceIp.startsWith('::ffff:') ? ctx.sourceIp.slice('::ffff:'.length) : ctx.sourceIp,
    'aws:CurrentTime': ctx.now.toISOString(),
    'aws:EpochTime': Math.floor(ctx.now.getTime() / 1000),
    'aws:SecureTransport': ctx.secureTransport,
  };
  const tags = Array.isArray(input.TagList) ? (input.TagList as { Key?: unknown; Value?: unknown }[]) : [];
  for (const t of tags) if (typeof t.Key === 'string' && typeof t.Value === 'string') out[`aws:RequestTag/${t.Key}`] = t.Value;
  const tagKeys = Array.isArray(input.TagKeyList) ? input.TagKeyList : tags.map((t) => t.Key);
  if (tagKeys.length > 0) out['aws:TagKeys'] = tagKeys.filter((k): k is string => typeof k === 'string');
  return out;
}

/** Decides a CloudHSM call before its handler runs; throws AccessDeniedException. */
export function authorizeCloudHsmOperation(ctx: CloudHsmContext, operation: CloudhsmOperationName, input: Input): void {
  const declared = CLOUDHSM_AUTHORIZATION[operation];
  const resource = declared.resource(input, ctx.scope);
  if (resource !== '*') ctx.audit.resources.push(resource);
  const decision = decideByIdentity({ principal: ctx.principal, action: declared.action, resource, context: conditions(ctx, input) });
  if (!decision.allowed) {
    throw new AccessDeniedException(accessDeniedMessage(ctx.principal.arn, declared.action, resource, decision.reason));
  }
}

/**
 * Whether a backup of another account is shared with the caller for `action`
 * (cloudhsm:CreateCluster to restore it, cloudhsm:DescribeBackups to list it): its resource
 * policy must allow the caller or the caller's account, with no Deny, its conditions and
 * NotPrincipal honoured, and the caller's own IAM policies must allow the action too
 * (cross-account evaluation). A backup without a policy is shared with nobody.
 */
export async function backupPolicyAllows(
  ctx: CloudHsmContext,
  backup: { BackupArn: string; resourcePolicy?: string },
  owner: Scope,
  action: string,
): Promise<boolean> {
  if (backup.resourcePolicy === undefined) return false;
  let policy;
  try {
    policy = compilePolicy(backup.resourcePolicy, 'resource');
  } catch (err) {
    if (err instanceof MalformedPolicyError) return false;
    throw err;
  }
  const decision = await decideWithResourcePolicy({
    principal: ctx.principal,
    action,
    resource: backup.BackupArn,
    context: conditions(ctx, {}),
    policy,
    resourceAccount: owner.account,
    crossAccount: true,
  });
  return decision.allowed;
}
