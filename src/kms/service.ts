/** The KMS service (X-Amz-Target TrentService.*) as the gateway sees it. */
import type { Caller, ServiceEndpoint } from '../core/endpoint.js';
import { KMS_MODEL } from '../generated/kms.js';
import type { KeyLastUsageTrackingOperation, KmsOperationName } from '../generated/kms.js';
import type { KmsContext, KmsDeps } from './context.js';
import { KMS_HANDLERS } from './operations/index.js';
import { authorizeOperation } from './authorization.js';
import { checkGrantTokens } from './grant-authorization.js';
import { KMS_ENUM_MESSAGE_ORDER } from './enum-order.js';
import { registerMultiRegionKeys } from './multi-region.js';
import { registerManagedKeys } from './managed-keys.js';
import { kmsErrorOf } from './keystore-errors.js';

/** The operations GetKeyLastUsage reports (the model's KeyLastUsageTrackingOperation). */
const TRACKED = new Set<string>([
  'Decrypt',
  'DeriveSharedSecret',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateMac',
  'ReEncrypt',
  'Sign',
  'Verify',
  'VerifyMac',
] satisfies KeyLastUsageTrackingOperation[]);

export function createKmsService(deps: KmsDeps): ServiceEndpoint {
  registerMultiRegionKeys();
  registerManagedKeys();
  return {
    model: { ...KMS_MODEL, enumMessageOrder: KMS_ENUM_MESSAGE_ORDER },
    async handle(operation, input, caller: Caller) {
      const kmsOperation = operation as KmsOperationName;
      const ctx: KmsContext = {
        scope: { account: caller.accountId, region: caller.region },
        principalArn: caller.principal.arn,
        principal: caller.principal,
        sourceIp: caller.sourceIp,
        secureTransport: caller.secureTransport,
        audit: caller.audit,
        operation: kmsOperation,
        input,
        now: deps.clock.now(),
        requestId: caller.requestId,
        deps,
      };
      // Request quotas of management operations are checked before anything else; those of
      // cryptographic operations once their key is known (assertUsableForCrypto).
      deps.throttle?.chargeOperation(ctx.scope, kmsOperation);
      checkGrantTokens(input.GrantTokens);
      // Keyless operations (and the alias half of alias operations) are decided here, before
      // the handler runs; operations on a key are decided when findKey resolves the key.
      authorizeOperation(ctx);
      const handler = KMS_HANDLERS[kmsOperation] as (i: unknown, c: KmsContext) => Promise<unknown>;
      // Key stores throw their own errors; they become AWS's exceptions here, once.
      const output = await handler(input, ctx).catch((err: unknown) => {
        throw kmsErrorOf(err);
      });
      if (TRACKED.has(operation)) recordUsage(ctx, operation as KeyLastUsageTrackingOperation, output);
      return output;
    },
  };
}

/**
 * Every tracked operation answers with the ARN of the key it used (`KeyId`; ReEncrypt also
 * `SourceKeyId`), so usage is noted here once, in memory, rather than in each operation.
 * Failed and dry-run requests throw and are not usage, as in AWS.
 */
function recordUsage(ctx: KmsContext, operation: KeyLastUsageTrackingOperation, output: unknown): void {
  const { KeyId, SourceKeyId } = output as { KeyId?: unknown; SourceKeyId?: unknown };
  const usage = { operation, timestamp: ctx.now.getTime(), requestId: ctx.requestId };
  for (const arn of [KeyId, SourceKeyId]) {
    if (typeof arn === 'string') ctx.deps.keyUsage.record(ctx.scope, arn.slice(arn.lastIndexOf('/') + 1), usage);
  }
}
