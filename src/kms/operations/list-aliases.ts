import type { AliasListEntry, ListAliasesRequest, ListAliasesResponse } from '../../generated/kms.js';
import type { KmsHandler } from '../context.js';
import { aliasTable, allAliases } from '../aliases.js';
import type { AliasRow } from '../aliases.js';
import { aliasArn, findKey } from '../keys.js';
import { pageArray, pageFields, pageOf } from '../pagination.js';
import type { Scope } from '../../store/store.js';

/**
 * ListAliases: every alias of the account and region, or only those of one key (KeyId: key id
 * or key ARN; an unknown key is NotFoundException). kmsd has no AWS managed keys, so no
 * `alias/aws/...` entries.
 */
export const listAliases: KmsHandler<ListAliasesRequest, ListAliasesResponse> = async (input, ctx) => {
  let page;
  if (input.KeyId !== undefined) {
    // ListAliases is decided by IAM alone (authorizeOperation); the key filter needs no key permission.
    const key = await findKey(ctx, input.KeyId, { allowAlias: false, authorize: false });
    const mine = (await allAliases(ctx.deps.store, ctx.scope)).filter((a) => a.targetKeyId === key.keyId);
    page = pageArray(mine, input.Limit, input.Marker);
  } else {
    page = await pageOf(aliasTable(ctx.deps.store), ctx.scope, input.Limit, input.Marker);
  }
  return { Aliases: page.items.map((a) => aliasEntry(ctx.scope, a)), ...pageFields(page.next) };
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
