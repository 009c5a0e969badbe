/** Aliases: friendly names (`alias/...`) pointing at one key in the same account and region. */
import type { Store, Table } from '../store/store.js';

export interface AliasRow {
  aliasName: string;
  targetKeyId: string;
  /** epoch ms */
  creationDate: number;
  lastUpdatedDate: number;
}

export const aliasTable = (store: Store): Table<AliasRow> => store.table<AliasRow>('kms_aliases');
