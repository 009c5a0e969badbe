/**
 * Grants as a source of permission (shared/spec/authorization.md §6): a grant lets its
 * grantee principal perform the grant's operations on its key, when the grant's
 * encryption-context constraint holds. Grants only allow; a Deny in the key policy or in
 * IAM still wins (the authorizer asks about grants only after no Deny matched).
 */
import type { GrantConstraints, GrantOperation } from '../generated/kms.js';
import { InvalidGrantTokenException } from '../generated/kms.js';
import type { Principal } from '../auth/principal.js';
import type { KmsContext } from './context.js';
import type { KeyRow } from './keys.js';
import { allGrants, parseGrantToken } from './grants.js';
import type { GrantRow } from './grants.js';

export const GRANT_OPERATIONS: ReadonlySet<GrantOperation> = new Set<GrantOperation>([
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncryptFrom',
  'ReEncryptTo',
  'Sign',
  'Verify',
  'GetPublicKey',
  'CreateGrant',
  'RetireGrant',
  'DescribeKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateMac',
  'VerifyMac',
  'DeriveSharedSecret',
]);

/** Operations whose grants ignore an encryption-context constraint (§6.2). */
const CONTEXT_FREE: ReadonlySet<GrantOperation> = new Set<GrantOperation>(['DescribeKey', 'RetireGrant', 'CreateGrant']);

/**
 * Whether a grant's grantee is this caller: its own ARN, or for a role session the role's
 * ARN (a grant to a role serves every session of it, as a key policy naming the role does).
 * A grant to an account (its root ARN or id) serves the account root.
 */
export function isGrantee(grantee: string | undefined, principal: Principal): boolean {
  if (grantee === undefined) return false;
  if (grantee === principal.arn || (principal.roleArn !== undefined && grantee === principal.roleArn)) return true;
  return principal.type === 'Account' && grantee === principal.accountId;
}

/** Encryption-context pair keys compare case-insensitively, values exactly (model, GrantConstraints). */
function lowerKeys(context: Record<string, string> | undefined): Map<string, string> {
  return new Map(Object.entries(context ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Whether a request's encryption context satisfies a grant's constraint. */
export function constraintHolds(constraints: GrantConstraints | undefined, context: Record<string, string> | undefined): boolean {
  if (!constraints) return true;
  const request = lowerKeys(context);
  if (constraints.EncryptionContextEquals) {
    const wanted = lowerKeys(constraints.EncryptionContextEquals);
    return wanted.size === request.size && [...wanted].every(([k, v]) => request.get(k) === v);
  }
  if (constraints.EncryptionContextSubset) {
    return [...lowerKeys(constraints.EncryptionContextSubset)].every(([k, v]) => request.get(k) === v);
  }
  return true;
}

/** The grants of `key` naming this caller as grantee for `operation`, with the constraint met. */
export async function matchingGrants(
  ctx: KmsContext,
  key: KeyRow,
  operation: GrantOperation,
  context: Record<string, string> | undefined,
): Promise<GrantRow[]> {
  const grants = await allGrants(ctx.deps.store, { account: key.account, region: key.region }, key.keyId);
  return grants.filter(
    (g) =>
      isGrantee(g.granteePrincipal, ctx.principal) &&
      g.operations.includes(operation) &&
      (CONTEXT_FREE.has(operation) || constraintHolds(g.constraints, context)),
  );
}

export async function grantAllowsRequest(
  ctx: KmsContext,
  key: KeyRow,
  action: string,
  context: Record<string, string> | undefined,
): Promise<boolean> {
  const operation = action.slice('kms:'.length) as GrantOperation;
  if (!GRANT_OPERATIONS.has(operation)) return false;
  const grants = await matchingGrants(ctx, key, operation, context);
  if (operation !== 'CreateGrant') return grants.length > 0;
  const child = ctx.input as { Operations?: GrantOperation[]; Constraints?: GrantConstraints };
  return grants.some((parent) => coversChildGrant(parent, child.Operations ?? [], child.Constraints));
}

/**
 * A grant with the CreateGrant operation lets its grantee create grants only for operations
 * it has itself, with a constraint at least as strict as its own (developer guide,
 * create-grant-overview).
 */
export function coversChildGrant(
  parent: Pick<GrantRow, 'operations' | 'constraints'>,
  operations: readonly GrantOperation[],
  constraints: GrantConstraints | undefined,
): boolean {
  if (!operations.every((op) => parent.operations.includes(op))) return false;
  const required = parent.constraints;
  if (required?.EncryptionContextEquals) {
    return constraints?.EncryptionContextEquals !== undefined && constraintHolds(required, constraints.EncryptionContextEquals);
  }
  if (required?.EncryptionContextSubset) {
    const childContext = constraints?.EncryptionContextEquals ?? constraints?.EncryptionContextSubset;
    return childContext !== undefined && constraintHolds(required, childContext);
  }
  return true;
}

/**
 * GrantTokens: kmsd applies grants at once (no eventual consistency to bridge), so a token
 * adds no permission; each must still be a token kmsd issued, as AWS rejects a malformed one.
 */
export function checkGrantTokens(tokens: unknown): void {
  if (!Array.isArray(tokens)) return;
  for (const token of tokens) {
    if (typeof token !== 'string' || !parseGrantToken(token)) throw new InvalidGrantTokenException('Grant token is not valid.');
  }
}
