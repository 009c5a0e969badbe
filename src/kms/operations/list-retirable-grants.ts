import type { ListGrantsResponse, ListRetirableGrantsRequest } from '../../generated/kms.js';
import { ValidationException } from '../../core/service-error.js';
import type { KmsHandler } from '../context.js';
import { allGrants, grantEntry } from '../grants.js';
import { pageArray, pageFields } from '../pagination.js';

/**
 * ListRetirableGrants: the grants of every key in the account and region whose retiring
 * principal (or retiring service principal) is the one given. Limit default 50.
 */
export const listRetirableGrants: KmsHandler<ListRetirableGrantsRequest, ListGrantsResponse> = async (input, ctx) => {
  if ((input.RetiringPrincipal === undefined) === (input.RetiringServicePrincipal === undefined)) {
    throw new ValidationException('Specify exactly one of RetiringPrincipal and RetiringServicePrincipal.');
  }
  const matches = (await allGrants(ctx.deps.store, ctx.scope)).filter((g) =>
    input.RetiringPrincipal !== undefined
      ? g.retiringPrincipal === input.RetiringPrincipal
      : g.retiringServicePrincipal === input.RetiringServicePrincipal,
  );
  const page = pageArray(matches, input.Limit, input.Marker, 50);
  return { Grants: page.items.map(grantEntry), ...pageFields(page.next) };
};
