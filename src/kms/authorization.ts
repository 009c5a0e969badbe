/**
 * Declared authorization for every KMS operation (DESIGN §2, shared/spec/authorization.md §5):
 * the IAM action(s), what the action is decided on, whether it may cross accounts (the model's
 * "Cross-account use"), and the request's condition keys. The service layer decides
 * keyless operations before the handler runs (authorizeOperation); operations on a key are
 * decided by findKey as soon as the key is resolved, before the handler acts on it
 * (authorizeKey). A test walks the model's operation list against this table.
 */
import type { KmsOperationName, GrantOperation } from '../generated/kms.js';
import { AccessDeniedException } from '../core/service-error.js';
import { accessDeniedMessage, decideByIdentity, decideWithResourcePolicy } from '../auth/authorizer.js';
import type { Decision } from '../auth/authorizer.js';
import { compilePolicy, evaluatePolicy, MalformedPolicyError } from '../auth/policy/index.js';
import type { CompiledPolicy, ConditionValues } from '../auth/policy/index.js';
import type { KmsContext } from './context.js';
import type { Principal } from '../auth/principal.js';
import { aliasArn, defaultKeyPolicy } from './keys.js';
import type { KeyRow } from './keys.js';
import { customerMasterKeySpecOf } from './key-specs.js';
import { allAliases } from './aliases.js';
import { grantAllowsRequest, GRANT_OPERATIONS, isGrantee } from './grant-authorization.js';
import type { GrantRow } from './grants.js';

/**
 * - `key`: decided on the key(s) the operation resolves, by the key policy (and the caller's
 *   IAM policies when the key policy delegates to the account), grants and session policy;
 * - `none`: no key; IAM identity policies alone, on resource `*`;
 * - `alias`: IAM on the alias ARN before the handler, then the key policy of each key involved;
 * - `grant`: RetireGrant's own rules (§6.4), checked by its handler.
 */
export type KmsResourceKind = 'key' | 'none' | 'alias' | 'grant';

type Input = Readonly<Record<string, unknown>>;

export interface KmsOperationAuthorization {
  /** The IAM actions; the first is the operation's own (ReEncrypt: ReEncryptFrom, ReEncryptTo). */
  actions: readonly string[];
  resource: KmsResourceKind;
  /** The model's "Cross-account use: Yes": a key of another account may be named by ARN. */
  crossAccount: boolean;
  /** The operation's own condition keys (§5), beyond the global and key ones. */
  conditions?: (input: Input, action: string) => ConditionValues;
  /** The encryption context the action works under (kms:EncryptionContext:*, grant constraints). */
  encryptionContext?: (input: Input, action: string) => Record<string, string> | undefined;
}

const str = (input: Input, name: string): string | undefined => (typeof input[name] === 'string' ? input[name] : undefined);
const num = (input: Input, name: string): number | undefined => (typeof input[name] === 'number' ? input[name] : undefined);
const bool = (input: Input, name: string): boolean | undefined => (typeof input[name] === 'boolean' ? input[name] : undefined);
function strMap(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return value as Record<string, string>;
}
const strList = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;

const contextOf = (input: Input) => strMap(input.EncryptionContext);

/** aws:RequestTag/<key> and aws:TagKeys from a Tags list (CreateKey, TagResource). */
function requestTags(input: Input): ConditionValues {
  const tags = Array.isArray(input.Tags) ? (input.Tags as { TagKey?: unknown; TagValue?: unknown }[]) : [];
  const out: ConditionValues = {};
  if (tags.length === 0) return out;
  for (const t of tags) if (typeof t.TagKey === 'string' && typeof t.TagValue === 'string') out[`aws:RequestTag/${t.TagKey}`] = t.TagValue;
  out['aws:TagKeys'] = tags.map((t) => t.TagKey).filter((k): k is string => typeof k === 'string');
  return out;
}

const withEncryptionAlgorithm = (input: Input): ConditionValues => ({
  'kms:EncryptionAlgorithm': str(input, 'EncryptionAlgorithm') ?? 'SYMMETRIC_DEFAULT',
});

const onKey = (
  action: string,
  crossAccount: boolean,
  extra: Pick<KmsOperationAuthorization, 'conditions' | 'encryptionContext'> = {},
): KmsOperationAuthorization => ({ actions: [action], resource: 'key', crossAccount, ...extra });
const keyless = (action: string, conditions?: KmsOperationAuthorization['conditions']): KmsOperationAuthorization => ({
  actions: [action],
  resource: 'none',
  crossAccount: false,
  conditions,
});
const onAlias = (action: string): KmsOperationAuthorization => ({ actions: [action], resource: 'alias', crossAccount: false });

/** Data-key operations: the algorithm is always SYMMETRIC_DEFAULT (the key is symmetric). */
const dataKey = (action: string) =>
  onKey(action, true, {
    conditions: () => ({ 'kms:EncryptionAlgorithm': 'SYMMETRIC_DEFAULT' }),
    encryptionContext: contextOf,
  });
const dataKeyPair = (action: string) =>
  onKey(action, true, {
    conditions: (input) => ({ 'kms:EncryptionAlgorithm': 'SYMMETRIC_DEFAULT', 'kms:DataKeyPairSpec': str(input, 'KeyPairSpec') }),
    encryptionContext: contextOf,
  });
const signing = (action: string) =>
  onKey(action, true, {
    conditions: (input) => ({
      'kms:SigningAlgorithm': str(input, 'SigningAlgorithm'),
      'kms:MessageType': str(input, 'MessageType') ?? 'RAW',
    }),
  });
const mac = (action: string) => onKey(action, true, { conditions: (input) => ({ 'kms:MacAlgorithm': str(input, 'MacAlgorithm') }) });
const grantManagement = (action: string) => onKey(action, true, { conditions: () => ({ 'kms:GrantIsForAWSResource': false }) });

export const KMS_AUTHORIZATION: Record<KmsOperationName, KmsOperationAuthorization> = {
  CancelKeyDeletion: onKey('kms:CancelKeyDeletion', false),
  ConnectCustomKeyStore: keyless('kms:ConnectCustomKeyStore'),
  CreateAlias: onAlias('kms:CreateAlias'),
  CreateCustomKeyStore: keyless('kms:CreateCustomKeyStore'),
  CreateGrant: onKey('kms:CreateGrant', true, {
    conditions: (input) => {
      const c = strMap(input.Constraints) as { EncryptionContextEquals?: unknown; EncryptionContextSubset?: unknown } | undefined;
      return {
        'kms:GrantOperations': strList(input.Operations),
        'kms:GranteePrincipal': str(input, 'GranteePrincipal'),
        'kms:RetiringPrincipal': str(input, 'RetiringPrincipal'),
        'kms:GranteeServicePrincipal': str(input, 'GranteeServicePrincipal'),
        'kms:RetiringServicePrincipal': str(input, 'RetiringServicePrincipal'),
        'kms:GrantConstraintType': c?.EncryptionContextEquals
          ? 'EncryptionContextEquals'
          : c?.EncryptionContextSubset
            ? 'EncryptionContextSubset'
            : undefined,
        // Only an AWS service integrated with KMS creates grants "for an AWS resource"; a
        // direct call never does (developer guide, conditions-kms).
        'kms:GrantIsForAWSResource': false,
      };
    },
    // On CreateGrant the encryption-context keys read the grant's constraint (§5).
    encryptionContext: (input) => {
      const c = strMap(input.Constraints) as { EncryptionContextEquals?: unknown; EncryptionContextSubset?: unknown } | undefined;
      return strMap(c?.EncryptionContextEquals) ?? strMap(c?.EncryptionContextSubset);
    },
  }),
  CreateKey: keyless('kms:CreateKey', (input) => {
    const keySpec = str(input, 'KeySpec') ?? str(input, 'CustomerMasterKeySpec') ?? 'SYMMETRIC_DEFAULT';
    const keyUsage = str(input, 'KeyUsage') ?? 'ENCRYPT_DECRYPT';
    return {
      'kms:KeySpec': keySpec,
      'kms:KeyUsage': keyUsage,
      'kms:CustomerMasterKeySpec': keySpec,
      'kms:CustomerMasterKeyUsage': keyUsage,
      'kms:KeyOrigin': str(input, 'Origin') ?? 'AWS_KMS',
      'kms:MultiRegion': bool(input, 'MultiRegion') ?? false,
      'kms:BypassPolicyLockoutSafetyCheck': bool(input, 'BypassPolicyLockoutSafetyCheck') ?? false,
      ...requestTags(input),
    };
  }),
  Decrypt: onKey('kms:Decrypt', true, { conditions: withEncryptionAlgorithm, encryptionContext: contextOf }),
  DeleteAlias: onAlias('kms:DeleteAlias'),
  DeleteCustomKeyStore: keyless('kms:DeleteCustomKeyStore'),
  DeleteImportedKeyMaterial: onKey('kms:DeleteImportedKeyMaterial', false),
  DeriveSharedSecret: onKey('kms:DeriveSharedSecret', true, {
    conditions: (input) => ({ 'kms:KeyAgreementAlgorithm': str(input, 'KeyAgreementAlgorithm') }),
  }),
  DescribeCustomKeyStores: keyless('kms:DescribeCustomKeyStores'),
  DescribeKey: onKey('kms:DescribeKey', true),
  DisableKey: onKey('kms:DisableKey', false),
  DisableKeyRotation: onKey('kms:DisableKeyRotation', false),
  DisconnectCustomKeyStore: keyless('kms:DisconnectCustomKeyStore'),
  EnableKey: onKey('kms:EnableKey', false),
  EnableKeyRotation: onKey('kms:EnableKeyRotation', false, {
    conditions: (input) => ({ 'kms:RotationPeriodInDays': num(input, 'RotationPeriodInDays') ?? 365 }),
  }),
  Encrypt: onKey('kms:Encrypt', true, { conditions: withEncryptionAlgorithm, encryptionContext: contextOf }),
  GenerateDataKey: dataKey('kms:GenerateDataKey'),
  GenerateDataKeyPair: dataKeyPair('kms:GenerateDataKeyPair'),
  GenerateDataKeyPairWithoutPlaintext: dataKeyPair('kms:GenerateDataKeyPairWithoutPlaintext'),
  GenerateDataKeyWithoutPlaintext: dataKey('kms:GenerateDataKeyWithoutPlaintext'),
  GenerateMac: mac('kms:GenerateMac'),
  GenerateRandom: keyless('kms:GenerateRandom'),
  GetKeyLastUsage: onKey('kms:GetKeyLastUsage', false),
  GetKeyPolicy: onKey('kms:GetKeyPolicy', false),
  GetKeyRotationStatus: onKey('kms:GetKeyRotationStatus', true),
  GetParametersForImport: onKey('kms:GetParametersForImport', false, {
    conditions: (input) => ({
      'kms:WrappingAlgorithm': str(input, 'WrappingAlgorithm'),
      'kms:WrappingKeySpec': str(input, 'WrappingKeySpec'),
    }),
  }),
  GetPublicKey: onKey('kms:GetPublicKey', true),
  ImportKeyMaterial: onKey('kms:ImportKeyMaterial', false, {
    conditions: (input) => ({ 'kms:ExpirationModel': str(input, 'ExpirationModel') }),
  }),
  ListAliases: keyless('kms:ListAliases'),
  ListGrants: grantManagement('kms:ListGrants'),
  ListKeyPolicies: onKey('kms:ListKeyPolicies', false),
  ListKeyRotations: onKey('kms:ListKeyRotations', false),
  ListKeys: keyless('kms:ListKeys'),
  ListResourceTags: onKey('kms:ListResourceTags', false),
  ListRetirableGrants: keyless('kms:ListRetirableGrants'),
  PutKeyPolicy: onKey('kms:PutKeyPolicy', false, {
    conditions: (input) => ({ 'kms:BypassPolicyLockoutSafetyCheck': bool(input, 'BypassPolicyLockoutSafetyCheck') ?? false }),
  }),
  ReEncrypt: {
    actions: ['kms:ReEncryptFrom', 'kms:ReEncryptTo'],
    resource: 'key',
    crossAccount: true,
    conditions: (input, action) => ({
      'kms:EncryptionAlgorithm':
        (action === 'kms:ReEncryptFrom' ? str(input, 'SourceEncryptionAlgorithm') : str(input, 'DestinationEncryptionAlgorithm')) ??
        'SYMMETRIC_DEFAULT',
    }),
    encryptionContext: (input, action) =>
      strMap(action === 'kms:ReEncryptFrom' ? input.SourceEncryptionContext : input.DestinationEncryptionContext),
  },
  ReplicateKey: onKey('kms:ReplicateKey', false, { conditions: (input) => ({ 'kms:ReplicaRegion': str(input, 'ReplicaRegion') }) }),
  RetireGrant: { actions: ['kms:RetireGrant'], resource: 'grant', crossAccount: true },
  RevokeGrant: grantManagement('kms:RevokeGrant'),
  RotateKeyOnDemand: onKey('kms:RotateKeyOnDemand', false),
  ScheduleKeyDeletion: onKey('kms:ScheduleKeyDeletion', false, {
    conditions: (input) => ({ 'kms:ScheduleKeyDeletionPendingWindowInDays': num(input, 'PendingWindowInDays') ?? 30 }),
  }),
  Sign: signing('kms:Sign'),
  TagResource: onKey('kms:TagResource', false, { conditions: requestTags }),
  UntagResource: onKey('kms:UntagResource', false, { conditions: (input) => ({ 'aws:TagKeys': strList(input.TagKeys) }) }),
  UpdateAlias: onAlias('kms:UpdateAlias'),
  UpdateCustomKeyStore: keyless('kms:UpdateCustomKeyStore'),
  UpdateKeyDescription: onKey('kms:UpdateKeyDescription', false),
  UpdatePrimaryRegion: onKey('kms:UpdatePrimaryRegion', false, {
    conditions: (input) => ({ 'kms:PrimaryRegion': str(input, 'PrimaryRegion') }),
  }),
  Verify: signing('kms:Verify'),
  VerifyMac: mac('kms:VerifyMac'),
};

/*
 * A request's condition keys are gathered into one object by assignment, not by spreading partial
 * objects into each other: building them runs on every request of every caller but the root.
 */

/** The global condition keys every KMS request carries (kms:ViaService is absent: direct calls). */
function addGlobalConditions(out: ConditionValues, ctx: KmsContext): void {
  out['kms:CallerAccount'] = ctx.principal.accountId;
  // IPv4 clients on a dual-stack socket show as ::ffff:a.b.c.d; policies name a.b.c.d.
  out['aws:SourceIp'] = ctx.sourceIp.startsWith('::ffff:') ? ctx.sourceIp.slice('::ffff:'.length) : ctx.sourceIp;
  // Formatting a date costs about a microsecond: done only if a policy reads the key.
  const now = ctx.now;
  out['aws:CurrentTime'] = () => now.toISOString();
  out['aws:EpochTime'] = Math.floor(now.getTime() / 1000);
  out['aws:SecureTransport'] = ctx.secureTransport;
}

/** The key's resource condition keys (§5: every action on a key takes them). */
function addKeyConditions(out: ConditionValues, key: KeyRow): void {
  out['kms:KeySpec'] = key.keySpec;
  out['kms:KeyUsage'] = key.keyUsage;
  out['kms:KeyOrigin'] = key.origin;
  out['kms:CustomerMasterKeySpec'] = customerMasterKeySpecOf(key.keySpec);
  out['kms:CustomerMasterKeyUsage'] = key.keyUsage;
  out['kms:MultiRegion'] = false;
  for (const t of key.tags) out[`aws:ResourceTag/${t.TagKey}`] = t.TagValue;
}

/** The encryption context as kms:EncryptionContext:<k> and kms:EncryptionContextKeys. */
function addEncryptionContextConditions(out: ConditionValues, context: Record<string, string> | undefined): void {
  if (!context) return;
  const keys = Object.keys(context);
  for (const k of keys) out[`kms:EncryptionContext:${k}`] = context[k];
  if (keys.length > 0) out['kms:EncryptionContextKeys'] = keys;
}

/** The request's condition keys for one action (without the key's own). */
export function requestConditions(ctx: KmsContext, action: string): ConditionValues {
  const declared = KMS_AUTHORIZATION[ctx.operation];
  const out: ConditionValues = {};
  addGlobalConditions(out, ctx);
  if (declared.conditions) Object.assign(out, declared.conditions(ctx.input, action));
  addEncryptionContextConditions(out, declared.encryptionContext?.(ctx.input, action));
  return out;
}

function deniedError(ctx: KmsContext, action: string, resource: string | undefined, decision: Decision): AccessDeniedException | undefined {
  if (decision.allowed) return undefined;
  return new AccessDeniedException(accessDeniedMessage(ctx.principal.arn, action, resource, decision.reason));
}

/**
 * Keyless operations and the alias half of alias operations, before the handler runs:
 * IAM identity policies alone (the account root always passes). CreateKey with Tags also
 * needs kms:TagResource, whose refusal AWS words without "on resource" (§3.2).
 */
export function authorizeOperation(ctx: KmsContext): void {
  const declared = KMS_AUTHORIZATION[ctx.operation];
  const [action] = declared.actions;
  if (declared.resource === 'none') {
    const context = requestConditions(ctx, action);
    const decision = decideByIdentity({ principal: ctx.principal, action, resource: '*', context });
    const error = deniedError(ctx, action, '*', decision);
    if (error) throw error;
    if (ctx.operation === 'CreateKey' && Array.isArray(ctx.input.Tags) && ctx.input.Tags.length > 0) {
      const tagging = decideByIdentity({ principal: ctx.principal, action: 'kms:TagResource', resource: '*', context });
      const tagError = deniedError(ctx, 'kms:TagResource', undefined, tagging);
      if (tagError) throw tagError;
    }
  } else if (declared.resource === 'alias') {
    const aliasName = str(ctx.input, 'AliasName') ?? '';
    const resource = aliasArn(ctx.scope, aliasName);
    ctx.audit.resources.push(resource);
    const decision = decideByIdentity({ principal: ctx.principal, action, resource, context: requestConditions(ctx, action) });
    const error = deniedError(ctx, action, resource, decision);
    if (error) throw error;
  }
}

export interface KeyAuthorization {
  /** Defaults to the operation's own action. */
  action?: string;
  /** The alias name the request named the key by (kms:RequestAlias). */
  requestAlias?: string;
  /** Replaces AWS's usual refusal text (Decrypt of a ciphertext whose key the caller cannot use). */
  deniedMessage?: string;
}

/**
 * Whether a policy names kms:ResourceAliases: only then are the key's aliases read (a store read
 * the Encrypt path should not pay). Remembered per compiled policy (the policy module memoizes
 * those), so each text is scanned once.
 */
const mentionsResourceAliases = new WeakMap<CompiledPolicy, boolean>();
function needsResourceAliases(policy: CompiledPolicy): boolean {
  let yes = mentionsResourceAliases.get(policy);
  if (yes === undefined) {
    yes = /kms:resourcealiases/i.test(policy.text);
    mentionsResourceAliases.set(policy, yes);
  }
  return yes;
}

/** The caller's identity policies and session policy, compiled (memoized by the policy module). */
function callerPolicies(principal: Principal): CompiledPolicy[] {
  const texts =
    principal.sessionPolicy === undefined ? principal.identityPolicies : [...principal.identityPolicies, principal.sessionPolicy];
  return texts.map((text) => compilePolicy(text, 'identity'));
}

/**
 * AWS managed keys: their key policy lets the account use them only through their service
 * (kms:ViaService). kmsd has no services to call through and lets the account use them
 * directly (managed-keys.ts, docs/compatibility.md), so a direct call is evaluated as made
 * through the service the policy names. Remembered per compiled policy.
 */
const viaServiceOfManagedPolicy = new WeakMap<CompiledPolicy, string | null>();
function managedKeyViaService(policy: CompiledPolicy): string | undefined {
  let via = viaServiceOfManagedPolicy.get(policy);
  if (via === undefined) {
    via = /"kms:ViaService"\s*:\s*"([^"]+)"/.exec(policy.text)?.[1] ?? null;
    viaServiceOfManagedPolicy.set(policy, via);
  }
  return via ?? undefined;
}

/**
 * The common case, decided by one string comparison: the account root of the key's own
 * account under the default key policy, which allows that account everything and denies
 * nothing (and the root user has no identity or session policies).
 */
function isRootUnderDefaultPolicy(principal: Principal, key: KeyRow): boolean {
  return (
    principal.type === 'Account' &&
    principal.accountId === key.account &&
    principal.sessionPolicy === undefined &&
    key.policy === defaultKeyPolicy(key.account)
  );
}

/** A stored policy the policy module cannot compile allows nothing (kmsd stores only valid ones). */
function compiledKeyPolicy(key: KeyRow): CompiledPolicy | undefined {
  try {
    return compilePolicy(key.policy, 'key');
  } catch (err) {
    if (err instanceof MalformedPolicyError) return undefined;
    throw err;
  }
}

/**
 * Decides an action on a key (§2.1, §2.4): key policy, the caller's IAM and session policies,
 * then the key's grants. Records the key ARN for the audit log. Throws AccessDeniedException.
 */
export async function authorizeKey(ctx: KmsContext, key: KeyRow, options: KeyAuthorization = {}): Promise<void> {
  const declared = KMS_AUTHORIZATION[ctx.operation];
  const action = options.action ?? declared.actions[0];
  if (!ctx.audit.resources.includes(key.arn)) ctx.audit.resources.push(key.arn);
  const principal = ctx.principal;
  if (isRootUnderDefaultPolicy(principal, key)) return;
  const encryptionContext = declared.encryptionContext?.(ctx.input, action);
  const context = requestConditions(ctx, action);
  addKeyConditions(context, key);
  if (options.requestAlias !== undefined) context['kms:RequestAlias'] = options.requestAlias;
  const policy = compiledKeyPolicy(key);
  if (key.keyManager === 'AWS' && policy) {
    const via = managedKeyViaService(policy);
    if (via !== undefined) context['kms:ViaService'] = via;
  }
  if ((policy !== undefined && needsResourceAliases(policy)) || callerPolicies(principal).some(needsResourceAliases)) {
    const scope = { account: key.account, region: key.region };
    context['kms:ResourceAliases'] = (await allAliases(ctx.deps.store, scope))
      .filter((a) => a.targetKeyId === key.keyId)
      .map((a) => a.aliasName);
  }
  const decision: Decision = policy
    ? await decideWithResourcePolicy({
        principal,
        action,
        resource: key.arn,
        context,
        policy,
        resourceAccount: key.account,
        crossAccount: declared.crossAccount,
        grantAllows: GRANT_OPERATIONS.has(action.slice('kms:'.length) as GrantOperation)
          ? () => grantAllowsRequest(ctx, key, action, encryptionContext)
          : undefined,
      })
    : { allowed: false, reason: 'no-resource-policy-allows' };
  if (!decision.allowed) {
    throw new AccessDeniedException(options.deniedMessage ?? accessDeniedMessage(principal.arn, action, key.arn, decision.reason));
  }
}

/**
 * The lockout safety check (§4.1): the new policy must let the caller call PutKeyPolicy on
 * the key later, counting its IAM policies but no grants, with the context of a PutKeyPolicy
 * call that does not bypass the check.
 */
export async function allowsFuturePutKeyPolicy(ctx: KmsContext, key: KeyRow, policy: CompiledPolicy): Promise<boolean> {
  const action = 'kms:PutKeyPolicy';
  const context: ConditionValues = {};
  addGlobalConditions(context, ctx);
  addKeyConditions(context, key);
  context['kms:BypassPolicyLockoutSafetyCheck'] = false;
  const decision = await decideWithResourcePolicy({
    principal: ctx.principal,
    action,
    resource: key.arn,
    context,
    policy,
    resourceAccount: key.account,
    crossAccount: false,
  });
  return decision.allowed;
}

/**
 * RetireGrant's own rules (§6.4): the grant's retiring principal, its grantee when the grant
 * lists RetireGrant, and the account the grant was created in (its root, and the principals
 * that account's IAM policies allow kms:RetireGrant) may retire it. kms:RetireGrant in a key
 * policy allows nothing, but a Deny on it, in the key policy or in IAM, still refuses.
 */
export async function authorizeRetireGrant(ctx: KmsContext, key: KeyRow | undefined, grant: GrantRow): Promise<void> {
  const action = 'kms:RetireGrant';
  const principal = ctx.principal;
  const resource = key?.arn ?? grant.keyArn;
  if (!ctx.audit.resources.includes(resource)) ctx.audit.resources.push(resource);
  const context: ConditionValues = {};
  addGlobalConditions(context, ctx);
  if (key) addKeyConditions(context, key);
  const policy = key && !isRootUnderDefaultPolicy(principal, key) ? compiledKeyPolicy(key) : undefined;
  if (policy && evaluatePolicy(policy, { principal, action, resource, context }).explicitDeny) {
    throw new AccessDeniedException(accessDeniedMessage(principal.arn, action, resource, 'explicit-deny-resource'));
  }
  const identity = decideByIdentity({ principal, action, resource, context });
  if (!identity.allowed && identity.reason === 'explicit-deny-identity') {
    throw new AccessDeniedException(accessDeniedMessage(principal.arn, action, resource, identity.reason));
  }
  const issuingAccount = /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(grant.issuingAccount)?.[1];
  const allowed =
    isGrantee(grant.retiringPrincipal, principal) ||
    (grant.operations.includes('RetireGrant') && isGrantee(grant.granteePrincipal, principal)) ||
    (principal.accountId === issuingAccount && identity.allowed);
  if (!allowed) {
    throw new AccessDeniedException(accessDeniedMessage(principal.arn, action, resource, 'no-resource-policy-allows'));
  }
}
