import { describe, expect, it } from 'vitest';
import { RequestLimiter } from './request-limiter.js';

describe('XKS proxy request limits', () => {
  it('admits up to maxInFlight at once, and more once some are released', () => {
    const limiter = new RequestLimiter({ maxInFlight: 2 });
    expect([limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([true, true, false]);
    limiter.release();
    expect(limiter.tryAcquire()).toBe(true);
    expect(limiter.tryAcquire()).toBe(false);
  });

  it('admits maxRequestsPerSecond in a burst, then as time refills the bucket', () => {
    let now = 0;
    const limiter = new RequestLimiter({ maxInFlight: 100, maxRequestsPerSecond: 4 }, () => now);
    const burst = () => {
      const admitted = [];
      for (let i = 0; i < 6; i++) {
        const ok = limiter.tryAcquire();
        admitted.push(ok);
        if (ok) limiter.release();
      }
      return admitted.filter(Boolean).length;
    };
    expect(burst()).toBe(4);
    now += 500;
    expect(burst()).toBe(2);
    now += 60_000;
    // Never more than one second's worth saved up.
    expect(burst()).toBe(4);
  });
});
