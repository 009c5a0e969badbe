import type { RetireGrantRequest } from '../../generated/kms.js';
import { InvalidGrantTokenException } from '../../generated/kms.js';
import { ValidationException } from '../../core/service-error.js';
import type { KmsHandler } from '../context.js';
import { findKey, keyTable } from '../keys.js';
import { findGrant, grantRowId, grantTable, keyScope, parseGrantToken, tokenHash } from '../grants.js';
import type { GrantRow } from '../grants.js';
import { assertDryRun } from '../dry-run.js';
import { authorizeRetireGrant } from '../authorization.js';

/**
 * RetireGrant: by the grant token, or by KeyId (key ARN or id) and GrantId. Who may retire
 * is the grant's business, not the key policy's (authorizeRetireGrant, spec §6.4).
 */
export const retireGrant: KmsHandler<RetireGrantRequest, Record<string, never>> = async (input, ctx) => {
  await ctx.deps.store.transaction(async () => {
    let grant: GrantRow;
    if (input.GrantToken !== undefined) {
      const named = parseGrantToken(input.GrantToken);
      const found = named && (await grantTable(ctx.deps.store).get(named.scope ?? ctx.scope, grantRowId(named.keyId, named.grantId)));
      if (!found || !found.tokenHashes.includes(tokenHash(input.GrantToken))) {
        throw new InvalidGrantTokenException('Grant token is not valid.');
      }
      if (input.GrantId !== undefined && input.GrantId !== found.grantId) {
        throw new InvalidGrantTokenException('The grant token does not identify the grant given by GrantId.');
      }
      grant = found;
    } else {
      if (input.KeyId === undefined || input.GrantId === undefined) {
        throw new ValidationException('Specify either GrantToken, or both KeyId and GrantId.');
      }
      const key = await findKey(ctx, input.KeyId, { allowAlias: false, authorize: false, crossAccountLookup: true });
      grant = await findGrant(ctx, key, input.GrantId);
    }
    const scope = keyScope(parseKeyArn(grant.keyArn));
    const key = await keyTable(ctx.deps.store).get(scope, grant.keyId);
    await authorizeRetireGrant(ctx, key, grant);
    assertDryRun(input.DryRun);
    await grantTable(ctx.deps.store).delete(scope, grantRowId(grant.keyId, grant.grantId));
  });
  return {};
};

/** A grant records its key's ARN: arn:aws:kms:<region>:<account>:key/<id>. */
function parseKeyArn(arn: string): { account: string; region: string } {
  const [, , , region, account] = arn.split(':');
  return { account, region };
}
