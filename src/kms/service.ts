/** The KMS service (X-Amz-Target TrentService.*) as the gateway sees it. */
import type { Caller, ServiceEndpoint } from '../core/endpoint.js';
import { KMS_MODEL } from '../generated/kms.js';
import type { KmsOperationName } from '../generated/kms.js';
import type { KmsContext, KmsDeps } from './context.js';
import { KMS_HANDLERS } from './operations/index.js';
import { registerFinalDeletion } from './deletion.js';
import { registerMultiRegionKeys } from './multi-region.js';
import { registerManagedKeys } from './managed-keys.js';

export function createKmsService(deps: KmsDeps): ServiceEndpoint {
  registerFinalDeletion();
  registerMultiRegionKeys();
  registerManagedKeys();
  return {
    model: KMS_MODEL,
    async handle(operation, input, caller: Caller) {
      const ctx: KmsContext = {
        scope: { account: caller.accountId, region: caller.region },
        principalArn: `arn:aws:iam::${caller.accountId}:root`,
        now: deps.clock.now(),
        requestId: caller.requestId,
        operation,
        deps,
      };
      const handler = KMS_HANDLERS[operation as KmsOperationName] as (i: unknown, c: KmsContext) => Promise<unknown>;
      return handler(input, ctx);
    },
  };
}
