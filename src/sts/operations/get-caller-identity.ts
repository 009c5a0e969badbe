/**
 * GetCallerIdentity: who signed the request. It needs no permission; AWS answers it even under
 * an explicit deny of sts:GetCallerIdentity (spec authorization.md §7.2).
 */
import type { StsHandler } from '../context.js';

export const getCallerIdentity: StsHandler = async (_params, ctx) => {
  const p = ctx.caller.principal;
  return { Arn: p.arn, UserId: p.userId, Account: p.accountId };
};
