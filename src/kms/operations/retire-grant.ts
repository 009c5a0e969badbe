import type { RetireGrantRequest } from '../../generated/kms.js';
import { InvalidGrantTokenException } from '../../generated/kms.js';
import { ValidationException } from '../../core/service-error.js';
import type { KmsHandler } from '../context.js';
import { findKey } from '../keys.js';
import { findGrant, grantRowId, grantTable, parseGrantToken, tokenHash } from '../grants.js';
import { assertDryRun } from '../dry-run.js';

/**
 * RetireGrant: by the grant token, or by KeyId (key ARN or id) and GrantId. kmsd has one
 * identity per account, so the caller may always retire (AWS would check it is the retiring
 * principal, the grantee with RetireGrant, or the account).
 */
export const retireGrant: KmsHandler<RetireGrantRequest, Record<string, never>> = async (input, ctx) => {
  await ctx.deps.store.transaction(async () => {
    let keyId: string;
    let grantId: string;
    if (input.GrantToken !== undefined) {
      const named = parseGrantToken(input.GrantToken);
      const grant = named && (await grantTable(ctx.deps.store).get(ctx.scope, grantRowId(named.keyId, named.grantId)));
      if (!named || !grant || !grant.tokenHashes.includes(tokenHash(input.GrantToken))) {
        throw new InvalidGrantTokenException('Grant token is not valid.');
      }
      if (input.GrantId !== undefined && input.GrantId !== grant.grantId) {
        throw new InvalidGrantTokenException('The grant token does not identify the grant given by GrantId.');
      }
      ({ keyId, grantId } = named);
    } else {
      if (input.KeyId === undefined || input.GrantId === undefined) {
        throw new ValidationException('Specify either GrantToken, or both KeyId and GrantId.');
      }
      keyId = (await findKey(ctx, input.KeyId, { allowAlias: false })).keyId;
      grantId = (await findGrant(ctx, keyId, input.GrantId)).grantId;
    }
    assertDryRun(input.DryRun);
    await grantTable(ctx.deps.store).delete(ctx.scope, grantRowId(keyId, grantId));
  });
  return {};
};
