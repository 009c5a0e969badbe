/** Identifiers in CloudHSM's formats (shared/spec/cloudhsm.md §1). */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { Scope } from '../store/store.js';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `cluster-`, `hsm-`, `backup-` + 11 characters of [a-z2-7], like AWS's ids. */
export function newResourceId(prefix: 'cluster' | 'hsm' | 'backup'): string {
  let s = '';
  for (let i = 0; i < 11; i++) s += BASE32[randomInt(BASE32.length)];
  return `${prefix}-${s}`;
}

/** `eni-`, `sg-` + 17 hex digits, like EC2's long ids. */
export function newEc2Id(prefix: 'eni' | 'sg'): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/** kmsd has no EC2: every account and Region gets one stable fake VPC holding all subnets. */
export function vpcIdFor(scope: Scope): string {
  return `vpc-${createHash('sha256').update(`${scope.account}:${scope.region}`).digest('hex').slice(0, 17)}`;
}

export const clusterArn = (scope: Scope, id: string): string => `arn:aws:cloudhsm:${scope.region}:${scope.account}:cluster/${id}`;
export const backupArn = (scope: Scope, id: string): string => `arn:aws:cloudhsm:${scope.region}:${scope.account}:backup/${id}`;

/** A stable private IPv4 /24 per subnet (no EC2 to ask), and a free host address in it. */
export function addressInSubnet(subnetId: string, used: Set<string>): string | undefined {
  const h = createHash('sha256').update(subnetId).digest();
  // AWS reserves the first four and the last address of every subnet.
  for (let host = 4; host < 255; host++) {
    const ip = `10.${h[0]}.${h[1]}.${host}`;
    if (!used.has(ip)) return ip;
  }
  return undefined;
}
