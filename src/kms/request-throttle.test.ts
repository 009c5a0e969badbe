import { describe, expect, it } from 'vitest';
import type { Clock } from '../core/clock.js';
import { DEFAULT_REQUEST_RATE_QUOTAS } from './quotas.js';
import { RequestThrottle, ThrottlingException } from './request-throttle.js';

class ManualClock implements Clock {
  ms = 1_000_000;
  now(): Date {
    return new Date(this.ms);
  }
}

const scope = { account: '111122223333', region: 'us-east-1' };

describe('RequestThrottle (token buckets on the service clock)', () => {
  it('admits a burst of one second of requests, then refills at the quota rate', () => {
    const clock = new ManualClock();
    const throttle = new RequestThrottle({ ...DEFAULT_REQUEST_RATE_QUOTAS, operations: { CreateAlias: 5 } }, clock);
    for (let i = 0; i < 5; i++) throttle.chargeOperation(scope, 'CreateAlias');
    expect(() => throttle.chargeOperation(scope, 'CreateAlias')).toThrow(ThrottlingException);
    clock.ms += 200; // one fifth of a second: one more request
    throttle.chargeOperation(scope, 'CreateAlias');
    expect(() => throttle.chargeOperation(scope, 'CreateAlias')).toThrow(ThrottlingException);
    // Another account and Region have their own buckets.
    throttle.chargeOperation({ ...scope, region: 'eu-west-1' }, 'CreateAlias');
    throttle.chargeOperation({ ...scope, account: '444455556666' }, 'CreateAlias');
  });

  it('charges cryptographic operations to the key type and its custom key store, not to the operation', () => {
    const clock = new ManualClock();
    const throttle = new RequestThrottle(
      { ...DEFAULT_REQUEST_RATE_QUOTAS, cryptographicSymmetric: 3, cloudHsmKeyStore: 1, operations: { Encrypt: 0.001 } },
      clock,
    );
    throttle.chargeOperation(scope, 'Encrypt'); // no quota of its own: charged with the key
    throttle.chargeOperation(scope, 'Encrypt');
    const storeKey = { keySpec: 'SYMMETRIC_DEFAULT' as const, customKeyStoreId: 'cks-1234567890abcdef0' };
    throttle.chargeKeyUse(scope, 'Encrypt', storeKey);
    // The store's quota refuses this one; a refused request uses no symmetric token either.
    expect(() => throttle.chargeKeyUse(scope, 'Decrypt', storeKey)).toThrow(ThrottlingException);
    throttle.chargeKeyUse(scope, 'Decrypt', { keySpec: 'SYMMETRIC_DEFAULT' });
    throttle.chargeKeyUse(scope, 'GenerateMac', { keySpec: 'HMAC_256' }); // HMAC is in the symmetric quota
    expect(() => throttle.chargeKeyUse(scope, 'VerifyMac', { keySpec: 'HMAC_256' })).toThrow(ThrottlingException);
    // A management use of the key (EnableKeyRotation checks its state) is not a cryptographic request.
    throttle.chargeKeyUse(scope, 'EnableKeyRotation', { keySpec: 'SYMMETRIC_DEFAULT' });
  });
});
