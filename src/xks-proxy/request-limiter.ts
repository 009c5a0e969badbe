/**
 * The proxy's own load limits: requests in flight at once, and optionally requests per
 * second (a token bucket holding one second's worth). Past either, the spec's answer is
 * 429 ThrottlingException (xks-proxy.md §6), which KMS treats as an unreachable proxy or a
 * failed crypto call (§7) rather than queueing behind a 250 ms budget it cannot meet.
 */

export interface RequestLimits {
  maxInFlight: number;
  /** Undefined: no per-second cap (KMS itself allows 1,800 per second per key store). */
  maxRequestsPerSecond?: number;
}

/** Generous: far above what one key store's KMS quota sends (xks-proxy.md §8). */
export const DEFAULT_MAX_IN_FLIGHT = 256;

export class RequestLimiter {
  private inFlight = 0;
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly limits: RequestLimits,
    /** Milliseconds, monotonic; injected so tests can move it. */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limits.maxRequestsPerSecond ?? 0;
    this.refilledAt = now();
  }

  /** True when the request may go on; it must then call release() once done. */
  tryAcquire(): boolean {
    if (this.inFlight >= this.limits.maxInFlight) return false;
    const rate = this.limits.maxRequestsPerSecond;
    if (rate !== undefined) {
      const now = this.now();
      this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
      this.refilledAt = now;
      if (this.tokens < 1) return false;
      this.tokens -= 1;
    }
    this.inFlight += 1;
    return true;
  }

  release(): void {
    this.inFlight -= 1;
  }
}
