import type { AliasListEntry, ListAliasesRequest, ListAliasesResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { allAliases } from '../aliases.js';
import type { AliasRow } from '../aliases.js';
import { aliasArn, findKey } from '../keys.js';
import { MANAGED_ALIAS_NAMES } from '../managed-keys.js';
import { pageArray, pageFields } from '../pagination.js';
import type { Scope } from '../../store/store.js';

/**
 * ListAliases: every alias of the account and region, or only those of one key (KeyId: key id
 * or key ARN; an unknown key is NotFoundException). Like AWS, the full listing also shows the
 * predefined `alias/aws/...` aliases whose AWS managed key does not exist yet, with only
 * AliasName and AliasArn (managed-keys.ts).
 */
export const listAliases: KmsHandler<ListAliasesRequest, ListAliasesResponse> = async (input, ctx) => {
  const rows = await allAliases(ctx.deps.store, ctx.scope);
  let entries: AliasListEntry[];
  if (input.KeyId !== undefined) {
    const key = await findKey(ctx, input.KeyId, { allowAlias: false });
    entries = rows.filter((a) => a.targetKeyId === key.keyId).map((a) => aliasEntry(ctx.scope, a));
  } else {
    const existing = new Set(rows.map((a) => a.aliasName));
    const unused = MANAGED_ALIAS_NAMES.filter((name) => !existing.has(name));
    entries = [
      ...rows.map((a) => aliasEntry(ctx.scope, a)),
      ...unused.map((name) => ({ AliasName: name, AliasArn: aliasArn(ctx.scope, name) })),
    ];
  }
  const page = pageArray(entries, input.Limit, input.Marker);
  return { Aliases: page.items, ...pageFields(page.next) };
};

function aliasEntry(scope: Scope, a: AliasRow): AliasListEntry {
  return {
    AliasName: a.aliasName,
    AliasArn: aliasArn(scope, a.aliasName),
    TargetKeyId: a.targetKeyId,
    CreationDate: new Date(a.creationDate),
    LastUpdatedDate: new Date(a.lastUpdatedDate),
  };
}
