/**
 * Backup resource policies (Put/Get/DeleteResourcePolicy), with which AWS RAM shares a
 * backup with other accounts. kmsd stores the JSON document and honours its Allow
 * statements for other accounts' CreateCluster / DescribeBackups; nothing else is evaluated.
 */
import { CloudHsmInvalidRequestException, CloudHsmResourceNotFoundException } from '../generated/cloudhsmv2.js';
import type { BackupRow } from './rows.js';
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

export function checkPolicyDocument(policy: string): void {
  if (!statements(policy)) {
    throw new CloudHsmInvalidRequestException('The resource policy must be a JSON document with at least one Statement.');
  }
}

/** Whether an Allow statement names `account` (or everyone) as principal for `action`. */
export function policyAllows(policy: string | undefined, account: string, action: string): boolean {
  if (policy === undefined) return false;
  return (statements(policy) ?? []).some((s) => {
    if (s.Effect !== 'Allow') return false;
    const principal = s.Principal;
    const principals = principal === '*' ? ['*'] : asList((principal as { AWS?: unknown } | undefined)?.AWS);
    const principalOk = principals.some((p) => p === '*' || p === account || p === `arn:aws:iam::${account}:root`);
    const actionOk = asList(s.Action).some((a) => a === '*' || a === 'cloudhsm:*' || a === action);
    return principalOk && actionOk;
  });
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
