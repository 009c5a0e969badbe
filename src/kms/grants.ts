/**
 * Grants: standing permissions on one KMS key for a grantee principal, kept in their own
 * table (id `<keyId>/<grantId>`, so one key's grants list by prefix and go with the key).
 *
 * kmsd has one identity per account, so grants are recorded, listed, retired and revoked as
 * in AWS but never consulted for authorization (docs/compatibility.md, "By design").
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
 * A grant token names its key and grant, plus a random part that makes it unguessable:
 * base64url(`<keyId>:<grantId>:<secret>`). Only its hash is stored.
 */
export function newGrantToken(keyId: string, grantId: string): { token: string; hash: string } {
  const token = Buffer.from(`${keyId}:${grantId}:${randomBytes(32).toString('hex')}`, 'utf8').toString('base64url');
  return { token, hash: tokenHash(token) };
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The key and grant a token names, or undefined when it is not one of ours. */
export function parseGrantToken(token: string): { keyId: string; grantId: string } | undefined {
  const m = /^([0-9a-f-]{36}|mrk-[0-9a-f]{32}):([0-9a-f]{64}):[0-9a-f]{64}$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return m ? { keyId: m[1], grantId: m[2] } : undefined;
}

/** CreateGrant in the key-state table: Disabled and PendingDeletion keys refuse; Unavailable is fine. */
export async function assertGrantable(ctx: KmsContext, key: KeyRow): Promise<void> {
  const state = await effectiveState(ctx, key);
  if (state === 'Disabled') throw new DisabledException(`${key.arn} is disabled.`);
  if (state === 'PendingDeletion') throw new KMSInvalidStateException(`${key.arn} is pending deletion.`);
  if (state === 'PendingImport') throw new KMSInvalidStateException(`${key.arn} is pending import.`);
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
export async function findGrant(ctx: KmsContext, keyId: string, grantId: string): Promise<GrantRow> {
  if (!GRANT_ID_RE.test(grantId)) throw new InvalidGrantIdException(`Invalid grant ID ${grantId}.`);
  const grant = await grantTable(ctx.deps.store).get(ctx.scope, grantRowId(keyId, grantId));
  if (!grant) throw new NotFoundException(`Grant ID ${grantId} not found.`);
  return grant;
}
