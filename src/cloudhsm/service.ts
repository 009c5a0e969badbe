/** The CloudHSM V2 service (X-Amz-Target BaldrApiService.*) as the gateway sees it. */
import type { Caller, ServiceEndpoint } from '../core/endpoint.js';
import { CLOUDHSM_MODEL } from '../generated/cloudhsmv2.js';
import type { CloudhsmOperationName } from '../generated/cloudhsmv2.js';
import type { CloudHsmContext, CloudHsmDeps } from './context.js';
import { CLOUDHSM_HANDLERS } from './operations/index.js';
import { cloudHsmSweep } from './sweeper.js';
import { authorizeCloudHsmOperation } from './authorization.js';
import type { Log } from '../core/log.js';

export function createCloudHsmService(deps: CloudHsmDeps): ServiceEndpoint {
  return {
    model: CLOUDHSM_MODEL,
    async handle(operation, input, caller: Caller) {
      const ctx: CloudHsmContext = {
        scope: { account: caller.accountId, region: caller.region },
        principal: caller.principal,
        sourceIp: caller.sourceIp,
        secureTransport: caller.secureTransport,
        audit: caller.audit,
        now: deps.clock.now(),
        requestId: caller.requestId,
        deps,
      };
      // Decided before the handler acts (DESIGN §2): cloudhsm:<Op> by the caller's IAM policies.
      authorizeCloudHsmOperation(ctx, operation as CloudhsmOperationName, input);
      const handler = CLOUDHSM_HANDLERS[operation as CloudhsmOperationName] as (i: unknown, c: CloudHsmContext) => Promise<unknown>;
      return handler(input, ctx);
    },
  };
}

/** The CloudHSM periodic task: state transitions, daily backups and retention, purges. */
export function cloudHsmSweeper(deps: CloudHsmDeps, log: Log): (now: Date) => Promise<void> {
  const sweep = cloudHsmSweep(deps, (err) => log({ level: 'error', msg: 'background task failed', task: 'cloudhsm', err }));
  return async function cloudhsmSweep(now: Date) {
    await sweep(now);
  };
}
