/** The KMS service (X-Amz-Target TrentService.*) as the gateway sees it. */
import type { Caller, ServiceEndpoint } from '../core/endpoint.js';
import { KMS_MODEL } from '../generated/kms.js';
import type { KmsOperationName } from '../generated/kms.js';
import type { KmsContext, KmsDeps } from './context.js';
import { KMS_HANDLERS } from './operations/index.js';
import { registerFinalDeletion } from './deletion.js';
import { authorizeOperation } from './authorization.js';
import { checkGrantTokens } from './grant-authorization.js';
import { KMS_ENUM_MESSAGE_ORDER } from './enum-order.js';
import { registerMultiRegionKeys } from './multi-region.js';
import { registerManagedKeys } from './managed-keys.js';

export function createKmsService(deps: KmsDeps): ServiceEndpoint {
  registerFinalDeletion();
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
      return handler(input, ctx);
    },
  };
}
