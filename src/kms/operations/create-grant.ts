import { isDeepStrictEqual } from 'node:util';
import type { CreateGrantRequest, CreateGrantResponse, GrantConstraints } from '../../generated/kms.js';
import { LimitExceededException } from '../../generated/kms.js';
import { ValidationException } from '../../core/service-error.js';
import type { KmsHandler } from '../context.js';
import { resourceQuotas } from '../quotas.js';
import { findKey } from '../keys.js';
import { allGrants, assertGrantable, grantOperationsFor, grantRowId, grantTable, keyScope, newGrantId, newGrantToken } from '../grants.js';
import type { GrantRow } from '../grants.js';
import { assertDryRun } from '../dry-run.js';

/**
 * CreateGrant. Exactly one grantee (an IAM principal or a service principal). With a Name,
 * a repeated request with the same parameters returns the existing grant's id (with a new
 * token) instead of adding a grant, as AWS does for retried CreateGrant calls; the same
 * name with other parameters makes a new grant. A retry adds a token to the grant, and only
 * the newest MAX_TOKENS_PER_GRANT are kept, so retries cannot grow the row without limit.
 */
export const createGrant: KmsHandler<CreateGrantRequest, CreateGrantResponse> = async (input, ctx) => {
  if ((input.GranteePrincipal === undefined) === (input.GranteeServicePrincipal === undefined)) {
    throw new ValidationException('Specify exactly one of GranteePrincipal and GranteeServicePrincipal.');
  }
  if (input.RetiringPrincipal !== undefined && input.RetiringServicePrincipal !== undefined) {
    throw new ValidationException('Specify at most one of RetiringPrincipal and RetiringServicePrincipal.');
  }
  if (input.Operations.length === 0) {
    throw new ValidationException('Grant operations must not be empty.');
  }
  const constraints = normalizeConstraints(input.Constraints);
  return ctx.deps.store.transaction(async () => {
    const key = await findKey(ctx, input.KeyId, { allowAlias: false });
    await assertGrantable(ctx, key);
    const allowed = grantOperationsFor(key);
    const invalid = input.Operations.filter((op) => !allowed.includes(op));
    if (invalid.length > 0) {
      throw new ValidationException(
        `Grant operations ${invalid.join(', ')} are not valid for a ${key.keySpec} key with KeyUsage ${key.keyUsage}.`,
      );
    }
    const operations = [...new Set(input.Operations)];
    const wanted: Omit<GrantRow, 'grantId' | 'creationDate' | 'tokenHashes'> = {
      keyId: key.keyId,
      keyArn: key.arn,
      name: input.Name,
      granteePrincipal: input.GranteePrincipal,
      granteeServicePrincipal: input.GranteeServicePrincipal,
      retiringPrincipal: input.RetiringPrincipal,
      retiringServicePrincipal: input.RetiringServicePrincipal,
      issuingAccount: `arn:aws:iam::${ctx.scope.account}:root`,
      operations,
      constraints,
    };
    // Only a named grant can be a retry of an earlier one; an unnamed one needs just the count,
    // which the store answers from its index without reading the key's grants.
    const same =
      input.Name === undefined
        ? undefined
        : (await allGrants(ctx.deps.store, keyScope(key), key.keyId)).find((g) => g.name === input.Name && sameParameters(g, wanted));
    const { grantsPerKey } = resourceQuotas(ctx);
    if (!same && (await grantTable(ctx.deps.store).count(keyScope(key), `${key.keyId}/`)) >= grantsPerKey) {
      throw new LimitExceededException(`The request would exceed the limit of ${grantsPerKey} grants for ${key.arn}.`);
    }
    assertDryRun(input.DryRun);
    const row: GrantRow = same ?? { ...wanted, grantId: newGrantId(), creationDate: ctx.now.getTime(), tokenHashes: [] };
    const { token, hash } = newGrantToken(key, row.grantId);
    row.tokenHashes = [...row.tokenHashes, hash].slice(-MAX_TOKENS_PER_GRANT);
    await grantTable(ctx.deps.store).put(keyScope(key), grantRowId(key.keyId, row.grantId), row);
    return { GrantId: row.grantId, GrantToken: token };
  });
};

/**
 * Tokens kept per grant. AWS documents every token of a grant as interchangeable and sets no
 * number; tokens only bridge a grant's eventual consistency, which kmsd does not have, so
 * only the oldest tokens of a much-retried grant stop working (docs/compatibility.md).
 */
const MAX_TOKENS_PER_GRANT = 64;

/** AWS's limits on an encryption context constraint (GrantConstraints in the KMS model). */
const MAX_CONSTRAINT_PAIRS = 8;
const MAX_CONSTRAINT_VALUE_CHARS = 384;
/** AWS states no key limit; kmsd bounds keys like values so a grant row stays small. */
const MAX_CONSTRAINT_KEY_CHARS = 384;

function checkContextConstraint(name: string, context: Record<string, string> | undefined): void {
  if (context === undefined) return;
  const pairs = Object.entries(context);
  if (pairs.length > MAX_CONSTRAINT_PAIRS) {
    throw new ValidationException(`${name} can have at most ${MAX_CONSTRAINT_PAIRS} encryption context pairs.`);
  }
  for (const [k, v] of pairs) {
    if (v.length > MAX_CONSTRAINT_VALUE_CHARS || k.length > MAX_CONSTRAINT_KEY_CHARS) {
      throw new ValidationException(`Each key and value in ${name} must be at most ${MAX_CONSTRAINT_VALUE_CHARS} characters long.`);
    }
  }
}

function normalizeConstraints(c: GrantConstraints | undefined): GrantConstraints | undefined {
  if (c === undefined) return undefined;
  checkContextConstraint('EncryptionContextSubset', c.EncryptionContextSubset);
  checkContextConstraint('EncryptionContextEquals', c.EncryptionContextEquals);
  if (c.EncryptionContextSubset !== undefined && c.EncryptionContextEquals !== undefined) {
    throw new ValidationException(
      'A grant can have only one encryption context constraint: EncryptionContextSubset or EncryptionContextEquals.',
    );
  }
  if (c.EncryptionContextSubset === undefined && c.EncryptionContextEquals === undefined && c.SourceArn === undefined) return undefined;
  return c;
}

/** Same grantee, retiring principal, operations (as a set) and constraints. */
function sameParameters(g: GrantRow, wanted: Omit<GrantRow, 'grantId' | 'creationDate' | 'tokenHashes'>): boolean {
  const comparable = (r: typeof wanted) =>
    JSON.parse(
      JSON.stringify({
        ge: r.granteePrincipal,
        gs: r.granteeServicePrincipal,
        re: r.retiringPrincipal,
        rs: r.retiringServicePrincipal,
        ops: [...r.operations].sort(),
        c: r.constraints,
      }),
    ) as unknown;
  return isDeepStrictEqual(comparable(g), comparable(wanted));
}
