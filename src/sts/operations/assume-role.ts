/**
 * AssumeRole: temporary credentials for a role, if its trust policy (and, where AWS needs them,
 * the caller's identity policies) allow the caller. The session token is self-contained
 * (src/auth/session-tokens.ts): nothing is stored, any kmsd with the same root key accepts it.
 * Parameters and limits are the STS model's; texts are AWS's (spec authorization.md §7.3).
 */
import { compilePolicy, MalformedPolicyError } from '../../auth/policy/index.js';
import type { ConditionValues } from '../../auth/policy/index.js';
import { temporaryAccessKeyId, temporarySecret } from '../../auth/session-tokens.js';
import type { RoleSession } from '../../auth/session-tokens.js';
import { sessionPrincipal } from '../../auth/identities.js';
import { ServiceError } from '../../core/service-error.js';
import { mayAssumeRole } from '../authorize-assume-role.js';
import type { StsContext, StsHandler } from '../context.js';
import { MalformedPolicyDocument, StsAccessDenied, StsValidationError } from '../errors.js';
import { pattern, QueryParams } from '../params.js';

const ARN = pattern(
  '[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+',
  '[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u{10000}-\\u{10FFFF}]+',
);
const SESSION_NAME = pattern('[\\w+=,.@-]*');
const POLICY = pattern('[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+');
const EXTERNAL_ID = pattern('[\\w+=,.@:\\/-]*');
const TAG_KEY = pattern('[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+');
const TAG_VALUE = pattern('[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*');

const DEFAULT_DURATION_SECONDS = 3600;
/** A role session assuming another role ("role chaining") gets at most one hour. */
const CHAINED_MAX_SECONDS = 3600;
/** Session policy and tags share one packed budget; kmsd reports their plain size against it. */
const PACKED_BUDGET_CHARS = 2048;

export const assumeRole: StsHandler = async (params, ctx) => {
  const q = new QueryParams(params);
  const roleArn = q.string('RoleArn', { min: 20, max: 2048, pattern: ARN }, true);
  const sessionName = q.string('RoleSessionName', { min: 2, max: 64, pattern: SESSION_NAME }, true);
  const duration = q.integer('DurationSeconds', 900, 43200);
  const policy = q.string('Policy', { min: 1, max: 2048, pattern: POLICY });
  const tags = q.keyValueList('Tags', 50, { min: 1, max: 128, pattern: TAG_KEY }, { min: 0, max: 256, pattern: TAG_VALUE });
  const externalId = q.string('ExternalId', { min: 2, max: 1224, pattern: EXTERNAL_ID });
  q.done();

  const caller = ctx.caller.principal;
  // AWS refuses root credentials outright, whatever the trust policy says.
  if (caller.type === 'Account') throw new ServiceError('AccessDenied', 'Roles may not be assumed by root accounts.', 403);
  if (q.has('PolicyArns')) {
    // kmsd has no managed policies; ignoring ones meant to restrict the session would grant more.
    throw new StsValidationError('kmsd has no managed policies: pass the session policy inline in Policy instead of PolicyArns.');
  }
  if (q.has('SerialNumber') || q.has('TokenCode')) {
    throw new ServiceError('AccessDenied', 'MultiFactorAuthentication failed with invalid MFA one time pass code. ', 403);
  }
  const sessionTags = tagMap(tags);
  if (policy !== undefined) checkSessionPolicy(policy);

  const role = ctx.deps.identities.roleByArn(roleArn);
  const context = conditionContext(ctx, sessionName, externalId, sessionTags);
  // Session tags need sts:TagSession as well (IAM user guide id_session-tags.md).
  const actions = tags.length > 0 ? ['sts:AssumeRole', 'sts:TagSession'] : ['sts:AssumeRole'];
  // An unknown role gets the same refusal as a forbidden one: existence is not revealed.
  if (!role || !actions.every((action) => mayAssumeRole(caller, role, action, context))) {
    throw new StsAccessDenied(caller.arn, roleArn);
  }

  const seconds = duration ?? DEFAULT_DURATION_SECONDS;
  if (caller.type === 'AssumedRole' && seconds > CHAINED_MAX_SECONDS) {
    throw new StsValidationError('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  }
  if (seconds > role.maxSessionSeconds) {
    throw new StsValidationError('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  }

  const session: RoleSession = {
    accessKeyId: temporaryAccessKeyId(),
    secretAccessKey: temporarySecret(),
    accountId: role.identity.accountId,
    roleName: role.identity.name,
    sessionName,
    issuedAt: ctx.now.getTime(),
    expiresAt: ctx.now.getTime() + seconds * 1000,
    sourceArn: caller.arn,
    ...(policy !== undefined ? { sessionPolicy: policy } : {}),
    ...(tags.length > 0 ? { sessionTags } : {}),
  };
  const principal = sessionPrincipal(role, session);
  const packed = (policy?.length ?? 0) + tags.reduce((n, t) => n + t.key.length + t.value.length, 0);
  return {
    Credentials: {
      AccessKeyId: session.accessKeyId,
      SecretAccessKey: session.secretAccessKey,
      SessionToken: ctx.deps.identities.sessionTokens.seal(session),
      Expiration: new Date(session.expiresAt),
    },
    AssumedRoleUser: { AssumedRoleId: principal.userId, Arn: principal.arn },
    PackedPolicySize: policy !== undefined || tags.length > 0 ? Math.ceil((100 * packed) / PACKED_BUDGET_CHARS) : undefined,
  };
};

function checkSessionPolicy(policy: string): void {
  try {
    compilePolicy(policy, 'identity');
  } catch (err) {
    if (err instanceof MalformedPolicyError) throw new MalformedPolicyDocument(err.message);
    throw err;
  }
}

/** Tag keys are unique regardless of case (IAM user guide id_session-tags.md). */
function tagMap(tags: { key: string; value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const { key, value } of tags) {
    if (seen.has(key.toLowerCase())) {
      throw new StsValidationError('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    }
    seen.add(key.toLowerCase());
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The condition keys an AssumeRole request carries (IAM user guide reference_policies_iam-condition-keys). */
function conditionContext(
  ctx: StsContext,
  sessionName: string,
  externalId: string | undefined,
  sessionTags: Record<string, string>,
): ConditionValues {
  const context: ConditionValues = {
    'aws:SourceIp': ctx.caller.sourceIp,
    'aws:SecureTransport': ctx.caller.secureTransport,
    'aws:CurrentTime': ctx.now.toISOString(),
    'aws:EpochTime': Math.floor(ctx.now.getTime() / 1000),
    'aws:RequestedRegion': ctx.caller.region,
    'sts:RoleSessionName': sessionName,
    'sts:ExternalId': externalId,
  };
  const keys = Object.keys(sessionTags);
  if (keys.length > 0) {
    context['aws:TagKeys'] = keys;
    for (const key of keys) context[`aws:RequestTag/${key}`] = sessionTags[key];
  }
  return context;
}
