/**
 * Grants: standing permissions on one KMS key for a grantee principal, kept in their own
 * table (id `<keyId>/<grantId>`, so one key's grants list by prefix and go with the key).
 *
 * Grants live in their key's account and Region, also when a caller of another account
 * creates them (cross-account CreateGrant). They allow through grant-authorization.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Store, Scope, Table } from '../store/store.js';
import type { GrantConstraints, GrantListEntry, GrantOperation } from '../generated/kms.js';
import { DisabledException, InvalidGrantIdException, KMSInvalidStateException, NotFoundException } from '../generated/kms.js';
import type { KmsContext } from './context.js';
import { effectiveState } from './keys.js';
import type { KeyRow } from './keys.js';

export interface GrantRow {
  keyId: string;
  keyArn: string;
  grantId: string;
  name?: string;
  /** epoch ms */
  creationDate: number;
  granteePrincipal?: string;
  granteeServicePrincipal?: string;
  retiringPrincipal?: string;
  retiringServicePrincipal?: string;
  issuingAccount: string;
  operations: GrantOperation[];
  constraints?: GrantConstraints;
  /** SHA-256 of every grant token issued for this grant (hex); a token is a bearer secret. */
  tokenHashes: string[];
}

/** AWS's quota of grants on one KMS key. */

export const grantTable = (store: Store): Table<GrantRow> => store.table<GrantRow>('kms_grants');

export function grantRowId(keyId: string, grantId: string): string {
  return `${keyId}/${grantId}`;
}

/** Grant ids are 64 lower-case hex characters, as AWS's. */
export function newGrantId(): string {
  return randomBytes(32).toString('hex');
}

export const GRANT_ID_RE = /^[0-9a-f]{64}$/;

/**
 * A grant token names its key's account and Region, its key and grant, plus a random part
 * that makes it unguessable: base64url(`<account>:<region>:<keyId>:<grantId>:<secret>`).
 * The scope lets a retiring principal of another account retire the grant by token alone.
 * Only the token's hash is stored.
 */
export function newGrantToken(key: Pick<KeyRow, 'account' | 'region' | 'keyId'>, grantId: string): { token: string; hash: string } {
  const named = `${key.account}:${key.region}:${key.keyId}:${grantId}`;
  const token = Buffer.from(`${named}:${randomBytes(32).toString('hex')}`, 'utf8').toString('base64url');
  return { token, hash: tokenHash(token) };
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The scope, key and grant a token names, or undefined when it is not one of ours. Tokens
 * issued before they carried a scope (`<keyId>:<grantId>:<secret>`) name a grant of the
 * caller's own account and Region (scope undefined).
 */
export function parseGrantToken(token: string): { scope?: Scope; keyId: string; grantId: string } | undefined {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const m = /^(?:(\d{12}):([a-z0-9-]+):)?([0-9a-f-]{36}|mrk-[0-9a-f]{32}):([0-9a-f]{64}):[0-9a-f]{64}$/.exec(text);
  if (!m) return undefined;
  return { scope: m[1] === undefined ? undefined : { account: m[1], region: m[2] }, keyId: m[3], grantId: m[4] };
}

/** CreateGrant in the key-state table: Disabled and PendingDeletion keys refuse; Unavailable is fine. */
export async function assertGrantable(ctx: KmsContext, key: KeyRow): Promise<void> {
  const state = await effectiveState(ctx, key);
  if (state === 'Disabled') throw new DisabledException(`${key.arn} is disabled.`);
  if (state === 'PendingDeletion') throw new KMSInvalidStateException(`${key.arn} is pending deletion.`);
  if (state === 'PendingImport') throw new KMSInvalidStateException(`${key.arn} is pending import.`);
}

/** The account and Region a key (and so its grants) lives in. */
export function keyScope(key: Pick<KeyRow, 'account' | 'region'>): Scope {
  return { account: key.account, region: key.region };
}

/** Every grant of the scope, optionally of one key, in creation order. */
export async function allGrants(store: Store, scope: Scope, keyId?: string): Promise<GrantRow[]> {
  const out: GrantRow[] = [];
  let marker: string | undefined;
  do {
    const page = await grantTable(store).list(scope, { prefix: keyId === undefined ? undefined : `${keyId}/`, limit: 1000, marker });
    out.push(...page.items);
    marker = page.next;
  } while (marker);
  return out;
}

export function grantEntry(g: GrantRow): GrantListEntry {
  return {
    KeyId: g.keyArn,
    GrantId: g.grantId,
    Name: g.name,
    CreationDate: new Date(g.creationDate),
    GranteePrincipal: g.granteePrincipal,
    GranteeServicePrincipal: g.granteeServicePrincipal,
    RetiringPrincipal: g.retiringPrincipal,
    RetiringServicePrincipal: g.retiringServicePrincipal,
    IssuingAccount: g.issuingAccount,
    Operations: g.operations,
    Constraints: g.constraints,
  };
}

/** Removes every grant of a key (its final deletion). */
export async function deleteGrantsOf(store: Store, scope: Scope, keyId: string): Promise<void> {
  for (const g of await allGrants(store, scope, keyId)) await grantTable(store).delete(scope, grantRowId(keyId, g.grantId));
}

const COMMON_OPERATIONS: GrantOperation[] = ['CreateGrant', 'RetireGrant', 'DescribeKey'];

/** The grant operations that make sense for a key, by its usage and spec (AWS rejects the rest). */
export function grantOperationsFor(key: Pick<KeyRow, 'keySpec' | 'keyUsage'>): GrantOperation[] {
  switch (key.keyUsage) {
    case 'ENCRYPT_DECRYPT':
      return key.keySpec === 'SYMMETRIC_DEFAULT'
        ? [
            ...COMMON_OPERATIONS,
            'Encrypt',
            'Decrypt',
            'ReEncryptFrom',
            'ReEncryptTo',
            'GenerateDataKey',
            'GenerateDataKeyWithoutPlaintext',
            'GenerateDataKeyPair',
            'GenerateDataKeyPairWithoutPlaintext',
          ]
        : [...COMMON_OPERATIONS, 'Encrypt', 'Decrypt', 'ReEncryptFrom', 'ReEncryptTo', 'GetPublicKey'];
    case 'SIGN_VERIFY':
      return [...COMMON_OPERATIONS, 'Sign', 'Verify', 'GetPublicKey'];
    case 'GENERATE_VERIFY_MAC':
      return [...COMMON_OPERATIONS, 'GenerateMac', 'VerifyMac'];
    case 'KEY_AGREEMENT':
      return [...COMMON_OPERATIONS, 'DeriveSharedSecret', 'GetPublicKey'];
  }
}

/** A grant of the key: a malformed id is InvalidGrantIdException, an unknown one NotFoundException. */
export async function findGrant(ctx: KmsContext, key: KeyRow, grantId: string): Promise<GrantRow> {
  if (!GRANT_ID_RE.test(grantId)) throw new InvalidGrantIdException(`Invalid grant ID ${grantId}.`);
  const grant = await grantTable(ctx.deps.store).get(keyScope(key), grantRowId(key.keyId, grantId));
  if (!grant) throw new NotFoundException(`Grant ID ${grantId} not found.`);
  return grant;
}
