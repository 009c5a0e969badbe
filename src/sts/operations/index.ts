/** STS's operations, one file each. kmsd serves the two a KMS client needs (spec authorization.md §7). */
import type { StsHandler } from '../context.js';
import { assumeRole } from './assume-role.js';
import { getCallerIdentity } from './get-caller-identity.js';

export const STS_HANDLERS: Record<string, StsHandler> = {
  AssumeRole: assumeRole,
  GetCallerIdentity: getCallerIdentity,
};
