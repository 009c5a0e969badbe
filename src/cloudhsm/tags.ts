/** Tags on clusters and backups (TagResource, UntagResource, ListTags, and on creation). */
import { CloudHsmResourceNotFoundException, CloudHsmTagException } from '../generated/cloudhsmv2.js';
import type { Tag } from '../generated/cloudhsmv2.js';
import { backupTable } from './rows.js';
import type { BackupRow, ClusterRow } from './rows.js';
import type { CloudHsmContext } from './context.js';
import { findCluster, saveCluster } from './clusters.js';
import { saveBackup } from './backups.js';

/** AWS's per-resource tag limit. */
export const MAX_TAGS = 50;

/** Merges new tags over old ones (same key: new value wins); `aws:` keys are reserved. */
export function mergeTags(existing: Tag[], added: Tag[]): Tag[] {
  const byKey = new Map(existing.map((t) => [t.Key, t.Value]));
  for (const t of added) {
    if (t.Key.toLowerCase().startsWith('aws:')) throw new CloudHsmTagException('Tag keys beginning with aws: are reserved.');
    byKey.set(t.Key, t.Value);
  }
  if (byKey.size > MAX_TAGS) throw new CloudHsmTagException(`A resource cannot have more than ${MAX_TAGS} tags.`);
  return [...byKey].map(([Key, Value]) => ({ Key, Value }));
}

export type TaggedResource = { kind: 'cluster'; row: ClusterRow } | { kind: 'backup'; row: BackupRow };

/** A cluster or backup of the caller by id (TagResource's ResourceId is one or the other). */
export async function findTaggedResource(ctx: CloudHsmContext, resourceId: string): Promise<TaggedResource> {
  if (resourceId.startsWith('cluster-')) return { kind: 'cluster', row: await findCluster(ctx, resourceId) };
  const row = await backupTable(ctx.deps.store).get(ctx.scope, resourceId);
  if (!row) throw new CloudHsmResourceNotFoundException(`Resource ${resourceId} not found.`);
  return { kind: 'backup', row };
}

export async function saveTags(ctx: CloudHsmContext, resource: TaggedResource, tags: Tag[]): Promise<void> {
  if (resource.kind === 'cluster') await saveCluster(ctx, { ...resource.row, TagList: tags });
  else await saveBackup(ctx.deps, ctx.scope, { ...resource.row, TagList: tags });
}
