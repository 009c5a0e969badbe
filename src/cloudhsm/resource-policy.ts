/**
 * Backup resource policies (Put/Get/DeleteResourcePolicy), with which AWS RAM shares a
 * backup with other accounts. The policy evaluator decides other accounts' CreateCluster /
 * DescribeBackups on the backup (src/cloudhsm/authorization.ts: Deny, Condition, NotPrincipal).
 */
import { CloudHsmInvalidRequestException, CloudHsmResourceNotFoundException } from '../generated/cloudhsmv2.js';
import type { BackupRow } from './rows.js';
import { compilePolicy, MalformedPolicyError } from '../auth/policy/index.js';
import type { CloudHsmContext } from './context.js';
import { findBackup } from './backups.js';

interface Statement {
  Effect?: unknown;
  Principal?: unknown;
  Action?: unknown;
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

function statements(policy: string): Statement[] | undefined {
  try {
    const doc = JSON.parse(policy) as unknown;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
    const list = asList((doc as { Statement?: unknown }).Statement);
    if (list.length === 0 || !list.every((s) => s && typeof s === 'object')) return undefined;
    return list as Statement[];
  } catch {
    return undefined;
  }
}

/** A backup's policy must be a policy document the evaluator accepts (it decides sharing). */
export function checkPolicyDocument(policy: string): void {
  if (!statements(policy)) {
    throw new CloudHsmInvalidRequestException('The resource policy must be a JSON document with at least one Statement.');
  }
  try {
    compilePolicy(policy, 'resource');
  } catch (err) {
    if (err instanceof MalformedPolicyError) throw new CloudHsmInvalidRequestException(err.message);
    throw err;
  }
}

/** The backup a ResourceArn names; AWS resource policies exist only on backups. */
export async function backupForPolicy(ctx: CloudHsmContext, resourceArn: string | undefined): Promise<BackupRow> {
  if (resourceArn === undefined) throw new CloudHsmInvalidRequestException('ResourceArn is required.');
  const m = /^arn:aws(?:-us-gov)?:cloudhsm:([^:]+):(\d{12}):backup\/(backup-[2-7a-zA-Z]+)$/.exec(resourceArn);
  if (!m) throw new CloudHsmInvalidRequestException('Resource policies can only be attached to backups.');
  if (m[1] !== ctx.scope.region || m[2] !== ctx.scope.account)
    throw new CloudHsmResourceNotFoundException(`Backup ${resourceArn} not found.`);
  return findBackup(ctx, m[3]);
}
