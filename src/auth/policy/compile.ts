/**
 * Parses and validates a policy document into statements ready to evaluate (IAM User Guide,
 * reference_policies_grammar and elements_*; KMS developer guide, key-policy-overview; authorization
 * spec §4 and §8). The rules differ by kind: identity policies name no Principal, trust policies no
 * Resource, key policies need a Principal and `"Resource": "*"` and are limited to 32 KB.
 */
import { compileArnPattern, type ArnPattern } from './arn.js';
import { compileCondition, ConditionValueError, parseOperator, type CompiledCondition } from './conditions.js';
import { MalformedPolicyError, PolicyTooLargeError } from './errors.js';
import { compileGlob, type Glob } from './glob.js';
import { policyMessage, type PolicyDefect } from './messages.js';
import { compilePrincipals, type PrincipalSet } from './principals.js';
import type { PolicyKind } from './types.js';

/** KMS key policy document size quota: 32 KB, not adjustable (developer guide, resource-limits). */
export const KEY_POLICY_MAX_BYTES = 32768;

export interface CompiledStatement {
  readonly sid: string | undefined;
  readonly effect: 'Allow' | 'Deny';
  /** Exactly one of principal / notPrincipal for resource-based kinds; neither for identity policies. */
  readonly principal: PrincipalSet | undefined;
  readonly notPrincipal: PrincipalSet | undefined;
  /** Lower-cased action patterns (action names are case-insensitive). */
  readonly actions: readonly Glob[];
  readonly notAction: boolean;
  /** undefined: no Resource element (trust policies), the statement covers any resource. */
  readonly resources: readonly ArnPattern[] | undefined;
  readonly notResource: boolean;
  readonly conditions: readonly CompiledCondition[];
}

export interface CompiledPolicy {
  readonly kind: PolicyKind;
  readonly text: string;
  readonly version: PolicyVersion | undefined;
  readonly statements: readonly CompiledStatement[];
  /** Every AWS principal the policy names (ARNs and account ids), so a caller can check that they exist. */
  readonly namedPrincipals: readonly string[];
}

const DOCUMENT_FIELDS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_FIELDS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);
type PolicyVersion = '2012-10-17' | '2008-10-17';
const isVersion = (value: unknown): value is PolicyVersion => value === '2012-10-17' || value === '2008-10-17';
/** Condition keys describing the key's own tags and aliases cannot be used in its key policy (spec §4.2). */
const KEY_POLICY_FORBIDDEN_KEYS = /^(aws:resourcetag\/|kms:resourcetag\/|kms:resourcealiases$)/i;
/** IAM Sids are alphanumeric; key policy Sids may hold spaces and punctuation (key-policy-overview). */
const IAM_SID = /^[0-9A-Za-z]*$/;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

class Compiler {
  constructor(private readonly kind: PolicyKind) {}

  fail(defect: PolicyDefect, detail?: string): never {
    throw new MalformedPolicyError(policyMessage(this.kind, defect, detail));
  }

  /** A string or a non-empty list of strings; undefined when the element is absent or an empty list. */
  strings(value: unknown): string[] | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'string') return [value];
    if (!Array.isArray(value)) return this.fail('syntax');
    if (value.length === 0) return undefined;
    return value.map((item) => (typeof item === 'string' ? item : this.fail('syntax')));
  }

  document(text: string): CompiledPolicy {
    if (this.kind === 'key' && Buffer.byteLength(text, 'utf8') > KEY_POLICY_MAX_BYTES) {
      throw new PolicyTooLargeError(policyMessage(this.kind, 'tooLarge'));
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return this.fail('notJson');
    }
    if (!isObject(doc)) return this.fail('notJson');
    for (const field of Object.keys(doc)) if (!DOCUMENT_FIELDS.has(field)) this.fail('syntax');
    const version = doc.Version;
    if (version !== undefined && !isVersion(version)) return this.fail('syntax');
    if (doc.Id !== undefined && typeof doc.Id !== 'string') this.fail('syntax');
    const list = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement === undefined ? [] : [doc.Statement];
    if (list.length === 0) this.fail('syntax');
    const variables = version === '2012-10-17';
    const statements = list.map((statement) => this.statement(statement, variables));
    const sids = statements.map((s) => s.sid).filter((sid): sid is string => sid !== undefined && sid !== '');
    if (new Set(sids).size !== sids.length) this.fail('duplicateSid');
    const namedPrincipals = [...new Set(statements.flatMap((s) => [...(s.principal?.named ?? []), ...(s.notPrincipal?.named ?? [])]))];
    return { kind: this.kind, text, version, statements, namedPrincipals };
  }

  statement(raw: unknown, variables: boolean): CompiledStatement {
    if (!isObject(raw)) return this.fail('syntax');
    for (const field of Object.keys(raw)) if (!STATEMENT_FIELDS.has(field)) this.fail('syntax');
    const sid = raw.Sid;
    if (sid !== undefined && typeof sid !== 'string') this.fail('syntax');
    if (typeof sid === 'string' && this.kind !== 'key' && this.kind !== 'resource' && !IAM_SID.test(sid)) this.fail('sidFormat');
    const effect = raw.Effect;
    if (effect !== 'Allow' && effect !== 'Deny') return this.fail('syntax');
    const { principal, notPrincipal } = this.principals(raw);
    const { actions, notAction } = this.actions(raw);
    const { resources, notResource } = this.resources(raw, variables);
    const conditions = this.conditions(raw.Condition, variables);
    return { sid, effect, principal, notPrincipal, actions, notAction, resources, notResource, conditions };
  }

  principals(raw: Json): { principal: PrincipalSet | undefined; notPrincipal: PrincipalSet | undefined } {
    const hasPrincipal = raw.Principal !== undefined;
    const hasNotPrincipal = raw.NotPrincipal !== undefined;
    if (this.kind === 'identity') {
      if (hasPrincipal || hasNotPrincipal) this.fail('prohibitedPrincipal');
      return { principal: undefined, notPrincipal: undefined };
    }
    if (hasPrincipal && hasNotPrincipal) this.fail('syntax');
    if (!hasPrincipal && !hasNotPrincipal) this.fail('missingPrincipal');
    // Role trust policies do not support NotPrincipal (elements_notprincipal).
    if (hasNotPrincipal && this.kind === 'trust') this.fail('syntax');
    const compiled = compilePrincipals(hasPrincipal ? raw.Principal : raw.NotPrincipal, this.kind);
    if ('invalid' in compiled) return this.fail('invalidPrincipal', compiled.invalid);
    return hasPrincipal ? { principal: compiled, notPrincipal: undefined } : { principal: undefined, notPrincipal: compiled };
  }

  actions(raw: Json): { actions: Glob[]; notAction: boolean } {
    if (raw.Action !== undefined && raw.NotAction !== undefined) this.fail('syntax');
    const notAction = raw.NotAction !== undefined;
    const names = this.strings(notAction ? raw.NotAction : raw.Action);
    if (names === undefined) return this.fail('missingAction');
    const actions = names.map((name) => {
      if (name !== '*') {
        const colons = name.split(':').length - 1;
        if (colons === 0) this.fail('actionVendor');
        if (colons > 1) this.fail('actionColons');
      }
      return compileGlob(name.toLowerCase(), true);
    });
    return { actions, notAction };
  }

  resources(raw: Json, variables: boolean): { resources: ArnPattern[] | undefined; notResource: boolean } {
    const present = raw.Resource !== undefined || raw.NotResource !== undefined;
    if (raw.Resource !== undefined && raw.NotResource !== undefined) this.fail('syntax');
    if (this.kind === 'trust') {
      if (present) this.fail('prohibitedResource');
      return { resources: undefined, notResource: false };
    }
    const notResource = raw.NotResource !== undefined;
    const names = this.strings(notResource ? raw.NotResource : raw.Resource);
    if (names === undefined) {
      // CloudHSM backup policies name the backup implicitly; every other kind needs the element (spec §4.2).
      if (this.kind === 'resource' && !present) return { resources: undefined, notResource: false };
      return this.fail('missingResource');
    }
    // Key policies: "Resource": "*" means "this key"; anything else is rejected since 2025-08-18 (spec §4.2).
    if (this.kind === 'key' && (notResource || names.some((name) => name !== '*'))) this.fail('keyResourceNotStar');
    for (const name of names) if (name !== '*' && !name.startsWith('arn:')) this.fail('resourceFormat', name);
    // Variables only in the resource part of the ARN, after the fifth colon (reference_policies_variables).
    return { resources: names.map((name) => compileArnPattern(name, variables, 5)), notResource };
  }

  conditions(raw: unknown, variables: boolean): CompiledCondition[] {
    if (raw === undefined) return [];
    if (!isObject(raw)) return this.fail('syntax');
    const compiled: CompiledCondition[] = [];
    for (const [operatorName, block] of Object.entries(raw)) {
      const operator = parseOperator(operatorName);
      if (operator === undefined || !isObject(block)) return this.fail('syntax');
      for (const [key, rawValues] of Object.entries(block)) {
        if (!key.includes(':')) this.fail('actionVendor');
        if (this.kind === 'key' && KEY_POLICY_FORBIDDEN_KEYS.test(key)) this.fail('keyPolicyConditionKeys');
        const list = Array.isArray(rawValues) ? rawValues : [rawValues];
        if (list.length === 0) this.fail('syntax');
        const values = list.map((value) =>
          typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : this.fail('syntax'),
        );
        try {
          compiled.push(compileCondition(operator, key, values, variables));
        } catch (error) {
          if (error instanceof ConditionValueError) this.fail('syntax');
          throw error;
        }
      }
    }
    return compiled;
  }
}

export function compileDocument(text: string, kind: PolicyKind): CompiledPolicy {
  return new Compiler(kind).document(text);
}
