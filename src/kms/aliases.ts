/** Aliases: friendly names (`alias/...`) pointing at one key in the same account and region. */
import type { Scope, Store, Table } from '../store/store.js';
import { ServiceError, ValidationException } from '../core/service-error.js';

export interface AliasRow {
  aliasName: string;
  targetKeyId: string;
  /** epoch ms */
  creationDate: number;
  lastUpdatedDate: number;
}

export const aliasTable = (store: Store): Table<AliasRow> => store.table<AliasRow>('kms_aliases');

/**
 * AWS answers NotAuthorizedException (not in the KMS model, so no generated class) when a
 * caller tries to create, repoint or delete an `alias/aws/` alias: those belong to AWS
 * managed keys (managed-keys.ts). AWS sends it without a message (moto reproduces the body
 * as `{"__type":"NotAuthorizedException"}`, moto/kms/exceptions.py), so the text is empty.
 */
export class NotAuthorizedException extends ServiceError {
  constructor() {
    super('NotAuthorizedException', '', 400);
  }
}

/** The naming rules CreateAlias, UpdateAlias and DeleteAlias share beyond the model's pattern. */
export function checkAliasName(aliasName: string): void {
  if (!aliasName.startsWith('alias/')) {
    throw new ValidationException(
      'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
    );
  }
  if (aliasName.startsWith('alias/aws/')) {
    throw new NotAuthorizedException();
  }
}

/** An alias must point at a key, never at another alias (by name or ARN). */
export function checkAliasTarget(targetKeyId: string): void {
  if (targetKeyId.startsWith('alias/') || /^arn:[^:]*:kms:[^:]*:[^:]*:alias\//.test(targetKeyId)) {
    throw new ValidationException('Aliases must refer to keys. Not aliases');
  }
}

/** Every alias of the scope, in creation order (aliases per account are few: AWS caps them). */
export async function allAliases(store: Store, scope: Scope): Promise<AliasRow[]> {
  const rows: AliasRow[] = [];
  let marker: string | undefined;
  do {
    const page = await aliasTable(store).list(scope, { limit: 1000, marker });
    rows.push(...page.items);
    marker = page.next;
  } while (marker);
  return rows;
}
