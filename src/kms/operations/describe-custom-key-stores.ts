import type { DescribeCustomKeyStoresRequest, DescribeCustomKeyStoresResponse } from '../../generated/kms.js';
import { CustomKeyStoreNotFoundException } from '../../generated/kms.js';
import { ValidationException } from '../../core/service-error.js';
import type { KmsHandler } from '../context.js';
import { customKeyStoreTable, findCustomKeyStore, findCustomKeyStoreByName, listEntry } from '../custom-key-stores.js';
import { pageOf } from '../pagination.js';

/**
 * DescribeCustomKeyStores. A filter that matches nothing is CustomKeyStoreNotFoundException,
 * not an empty list (§10); both filters at once is a ValidationException (§15.4).
 */
export const describeCustomKeyStores: KmsHandler<DescribeCustomKeyStoresRequest, DescribeCustomKeyStoresResponse> = async (input, ctx) => {
  if (input.CustomKeyStoreId !== undefined && input.CustomKeyStoreName !== undefined) {
    throw new ValidationException('Specify either CustomKeyStoreId or CustomKeyStoreName, but not both.');
  }
  if (input.CustomKeyStoreId !== undefined) {
    const row = await findCustomKeyStore(ctx, input.CustomKeyStoreId);
    return { CustomKeyStores: [listEntry(row)], Truncated: false };
  }
  if (input.CustomKeyStoreName !== undefined) {
    const row = await findCustomKeyStoreByName(ctx, input.CustomKeyStoreName);
    if (!row) throw new CustomKeyStoreNotFoundException(`Custom key store with name ${input.CustomKeyStoreName} does not exist.`);
    return { CustomKeyStores: [listEntry(row)], Truncated: false };
  }
  const page = await pageOf(customKeyStoreTable(ctx.deps.store), ctx.scope, input.Limit, input.Marker);
  return { CustomKeyStores: page.items.map(listEntry), NextMarker: page.next, Truncated: page.next !== undefined };
};
