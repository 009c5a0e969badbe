/** STS (awsQuery, `Action=…&Version=2011-06-15`, signing name `sts`) as the gateway sees it. */
import type { QueryServiceEndpoint } from '../core/endpoint.js';
import type { StsDeps } from './context.js';
import { STS_HANDLERS } from './operations/index.js';

export const STS_XML_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

export function createStsService(deps: StsDeps): QueryServiceEndpoint {
  return {
    signingName: 'sts',
    version: '2011-06-15',
    xmlNamespace: STS_XML_NAMESPACE,
    hasAction: (action) => Object.hasOwn(STS_HANDLERS, action),
    handle: (action, params, caller) => STS_HANDLERS[action](params, { caller, now: deps.clock.now(), deps }),
  };
}
