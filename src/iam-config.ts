/**
 * The IAM part of kmsd's configuration file: each account's users and roles, in IAM's own
 * names (camelCase), checked when kmsd starts so that a typo fails loudly instead of denying
 * (or allowing) requests later.
 *
 *   "users": [{ "userName": "alice", "path": "/", "tags": { "team": "blue" },
 *               "accessKeys": [{ "accessKeyId": "AKIA…", "secretAccessKey": "…" }],
 *               "policies": [{ "policyName": "use-keys", "policyDocument": { "Version": "2012-10-17", "Statement": [] } }] }],
 *   "roles": [{ "roleName": "app", "path": "/", "assumeRolePolicyDocument": { … },
 *               "maxSessionDuration": 3600, "policies": [], "tags": {} }]
 *
 * Name, path, tag and duration limits are IAM's (CreateUser, CreateRole, PutUserPolicy, TagUser).
 */

import { compilePolicy } from './auth/policy/index.js';

/** A policy document as written in the file: a JSON object, or the same as JSON text. */
export type PolicyDocumentInput = Record<string, unknown> | string;

export interface InlinePolicyConfig {
  policyName: string;
  policyDocument: PolicyDocumentInput;
}

export interface AccessKeyConfig {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface UserConfig {
  userName: string;
  path?: string;
  tags?: Record<string, string>;
  accessKeys?: AccessKeyConfig[];
  policies?: InlinePolicyConfig[];
}

export interface RoleConfig {
  roleName: string;
  path?: string;
  assumeRolePolicyDocument: PolicyDocumentInput;
  /** Longest AssumeRole session in seconds, 3600..43200 (IAM's MaxSessionDuration); default 3600. */
  maxSessionDuration?: number;
  tags?: Record<string, string>;
  policies?: InlinePolicyConfig[];
}

/** Checks one policy document's text, throwing a message (the policy language's, once wired). */
export type PolicyChecker = (text: string, kind: 'identity' | 'trust') => void;

const IAM_NAME = /^[\w+=,.@-]+$/;
const IAM_PATH = /^\/([\u0021-\u007E]+\/)?$/;
export const DEFAULT_MAX_SESSION_SECONDS = 3600;

type Fail = (what: string) => never;

/** The JSON text of a policy document given as an object or as text. */
export function policyText(doc: PolicyDocumentInput): string {
  return typeof doc === 'string' ? doc : JSON.stringify(doc);
}

/** Validates the users and roles of one account; `accessKeys` collects every key id seen so far. */
export function checkIamIdentities(
  account: { accountId: string; users?: unknown; roles?: unknown },
  accessKeys: Set<string>,
  checkPolicy: PolicyChecker,
  fail: Fail,
): void {
  const where = `account ${account.accountId}`;
  for (const { entity: user, who } of entities(account.users, 'user', where, fail)) {
    for (const key of optionalArray(user.accessKeys, `${who}: "accessKeys"`, fail)) {
      const k = objectOf(key, `${who}: each access key`, fail);
      checkAccessKey(k.accessKeyId, k.secretAccessKey, accessKeys, who, fail);
    }
    checkInlinePolicies(user.policies, who, checkPolicy, fail);
  }
  for (const { entity: role, who } of entities(account.roles, 'role', where, fail)) {
    if (role.assumeRolePolicyDocument === undefined) fail(`${who}: "assumeRolePolicyDocument" is required`);
    checkDocument(role.assumeRolePolicyDocument, 'trust', `${who}: assumeRolePolicyDocument`, checkPolicy, fail);
    const max = role.maxSessionDuration;
    if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 3600 || max > 43200)) {
      fail(`${who}: "maxSessionDuration" must be a whole number of seconds from 3600 to 43200`);
    }
    checkInlinePolicies(role.policies, who, checkPolicy, fail);
  }
}

type Entity<K> = K extends 'user' ? UserConfig : RoleConfig;

/** The users or roles of an account with their name, path and tags checked, each with its place for messages. */
function entities<K extends 'user' | 'role'>(list: unknown, kind: K, where: string, fail: Fail): { entity: Entity<K>; who: string }[] {
  // IAM names are unique per account regardless of case (CreateUser/CreateRole: EntityAlreadyExists).
  const names = new Set<string>();
  return optionalArray(list, `${where}: "${kind}s"`, fail).map((raw) => {
    const entity = objectOf(raw, `${where}: each ${kind}`, fail);
    const name = checkName(entity[`${kind}Name`], 64, `${where}: ${kind}Name`, fail);
    const who = `${where}, ${kind} ${name}`;
    if (names.has(name.toLowerCase())) fail(`${where}: ${kind} ${name} is listed twice`);
    names.add(name.toLowerCase());
    checkPath(entity.path, who, fail);
    checkTags(entity.tags, who, fail);
    return { entity: entity as unknown as Entity<K>, who };
  });
}

/** Records an access key id, refusing one already used anywhere in the file. */
export function checkAccessKey(id: unknown, secret: unknown, seen: Set<string>, who: string, fail: Fail): void {
  // A '/' would end the key id inside SigV4's Credential=<id>/<date>/… scope.
  if (typeof id !== 'string' || !/^[\x21-\x2e\x30-\x7e]{1,128}$/.test(id))
    fail(`${who}: accessKeyId must be 1 to 128 printable characters without spaces or "/"`);
  if (typeof secret !== 'string' || !secret) fail(`${who}: secretAccessKey missing`);
  if (seen.has(id)) fail(`access key ${id} is listed twice`);
  seen.add(id);
}

function optionalArray(value: unknown, what: string, fail: Fail): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(`${what} must be an array`);
  return value;
}

function objectOf(value: unknown, what: string, fail: Fail): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

function checkName(value: unknown, max: number, what: string, fail: Fail): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > max || !IAM_NAME.test(value)) {
    fail(`${what} ${JSON.stringify(value)} must be 1 to ${max} characters of letters, digits and +=,.@_-`);
  }
  return value;
}

function checkPath(value: unknown, who: string, fail: Fail): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value.length > 512 || !IAM_PATH.test(value)) {
    fail(`${who}: path ${JSON.stringify(value)} must be "/" or begin and end with "/"`);
  }
}

function checkTags(value: unknown, who: string, fail: Fail): void {
  if (value === undefined) return;
  const tags = objectOf(value, `${who}: "tags"`, fail);
  const entries = Object.entries(tags);
  if (entries.length > 50) fail(`${who}: at most 50 tags`);
  for (const [k, v] of entries) {
    if (k.length < 1 || k.length > 128) fail(`${who}: tag key ${JSON.stringify(k)} must be 1 to 128 characters`);
    if (typeof v !== 'string' || v.length > 256) fail(`${who}: tag ${k} must have a string value of at most 256 characters`);
  }
}

function checkInlinePolicies(value: unknown, who: string, checkPolicy: PolicyChecker, fail: Fail): void {
  const names = new Set<string>();
  for (const raw of optionalArray(value, `${who}: "policies"`, fail)) {
    const p = objectOf(raw, `${who}: each policy`, fail);
    const name = checkName(p.policyName, 128, `${who}: policyName`, fail);
    if (names.has(name)) fail(`${who}: policy ${name} is listed twice`);
    names.add(name);
    if (p.policyDocument === undefined) fail(`${who}, policy ${name}: "policyDocument" is required`);
    checkDocument(p.policyDocument, 'identity', `${who}, policy ${name}`, checkPolicy, fail);
  }
}

function checkDocument(doc: unknown, kind: 'identity' | 'trust', what: string, checkPolicy: PolicyChecker, fail: Fail): void {
  if (typeof doc !== 'string' && (!doc || typeof doc !== 'object' || Array.isArray(doc))) {
    fail(`${what}: a policy document must be a JSON object or its JSON text`);
  }
  const text = policyText(doc as PolicyDocumentInput);
  if (isEmptyPolicy(text)) return;
  try {
    checkPolicy(text, kind);
  } catch (err) {
    fail(`${what}: ${(err as Error).message}`);
  }
}

/**
 * A document whose Statement is an empty list (as in the example configuration): it
 * allows and denies nothing, which the policy language would call a syntax error. kmsd accepts
 * it in the configuration and leaves it out of every evaluation.
 */
export function isEmptyPolicy(text: string): boolean {
  try {
    const doc = JSON.parse(text) as unknown;
    return (
      !!doc &&
      typeof doc === 'object' &&
      Array.isArray((doc as Record<string, unknown>).Statement) &&
      (doc as { Statement: unknown[] }).Statement.length === 0
    );
  } catch {
    return false;
  }
}

/** Policy documents are checked by the policy language itself, with AWS's texts. */
export const checkPolicyDocument: PolicyChecker = (text, kind) => {
  compilePolicy(text, kind);
};
