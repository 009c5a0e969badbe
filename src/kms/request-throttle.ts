/**
 * AWS KMS request (rate) quotas, enforced only when enabled: one token bucket per account,
 * Region and quota, refilled at the quota's rate on the service clock and holding at most one
 * second's worth of requests. Each check is O(1): one Map lookup and a little arithmetic.
 */
import type { Clock } from '../core/clock.js';
import { ServiceError } from '../core/service-error.js';
import type { KmsOperationName, KeySpec } from '../generated/kms.js';
import type { Scope } from '../store/store.js';
import type { RequestRateQuotas } from './quotas.js';
import { CRYPTOGRAPHIC_OPERATIONS } from './quotas.js';

/**
 * Not in the KMS model; AWS's status and text (developer guide, "Throttling AWS KMS
 * requests": `You have exceeded the rate at which you may call KMS. Reduce the frequency of
 * your calls.`, status code 400).
 */
export class ThrottlingException extends ServiceError {
  constructor() {
    super('ThrottlingException', 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.', 400);
  }
}

class TokenBucket {
  private tokens: number;
  private readonly capacity: number;

  constructor(
    private readonly perSecond: number,
    private lastMs: number,
  ) {
    // A fractional rate (e.g. 0.5 per second) still admits one request at a time.
    this.capacity = Math.max(1, perSecond);
    this.tokens = this.capacity;
  }

  /** Whether a request may pass now (after refilling for the time elapsed). */
  ready(nowMs: number): boolean {
    if (nowMs > this.lastMs) {
      this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.lastMs) / 1000) * this.perSecond);
      this.lastMs = nowMs;
    }
    return this.tokens >= 1;
  }

  consume(): void {
    this.tokens -= 1;
  }
}

/** Which cryptographic quota a key's requests count against. */
function cryptographicRate(rates: RequestRateQuotas, keySpec: KeySpec): { group: string; perSecond: number } {
  if (keySpec === 'SYMMETRIC_DEFAULT' || keySpec.startsWith('HMAC_')) {
    return { group: 'symmetric', perSecond: rates.cryptographicSymmetric };
  }
  if (keySpec.startsWith('RSA_')) return { group: 'rsa', perSecond: rates.cryptographicRsa };
  // Every other asymmetric spec (ECC, Ed25519, SM2, ML-DSA) shares the ECC quota.
  return { group: 'ecc', perSecond: rates.cryptographicEcc };
}

export class RequestThrottle {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly rates: RequestRateQuotas,
    private readonly clock: Clock,
  ) {}

  /**
   * A request to a management operation (its own quota) or GenerateRandom (the symmetric
   * cryptographic quota). Cryptographic operations are charged when their key is known.
   */
  chargeOperation(scope: Scope, operation: KmsOperationName): void {
    if (operation === 'GenerateRandom') {
      this.take(scope, 'symmetric', this.rates.cryptographicSymmetric);
      return;
    }
    if (CRYPTOGRAPHIC_OPERATIONS.has(operation)) return;
    const perSecond = this.rates.operations[operation];
    if (perSecond !== undefined) this.take(scope, operation, perSecond);
  }

  /** A cryptographic operation with a key: the key type's quota, and its key store's. */
  chargeKeyUse(scope: Scope, operation: KmsOperationName, key: { keySpec: KeySpec; customKeyStoreId?: string }): void {
    if (!CRYPTOGRAPHIC_OPERATIONS.has(operation)) return;
    const { group, perSecond } = cryptographicRate(this.rates, key.keySpec);
    if (key.customKeyStoreId === undefined) {
      this.take(scope, group, perSecond);
      return;
    }
    // Both quotas must admit the request; a refused request uses neither.
    const nowMs = this.clock.now().getTime();
    const buckets = [
      this.bucket(scope, group, perSecond, nowMs),
      this.bucket(scope, `store:${key.customKeyStoreId}`, this.rates.cloudHsmKeyStore, nowMs),
    ];
    if (!buckets.every((b) => b.ready(nowMs))) throw new ThrottlingException();
    for (const b of buckets) b.consume();
  }

  /** A request served by a custom key store (its keys' cryptography, GenerateRandom with it). */
  chargeCustomKeyStore(scope: Scope, customKeyStoreId: string): void {
    this.take(scope, `store:${customKeyStoreId}`, this.rates.cloudHsmKeyStore);
  }

  private take(scope: Scope, quota: string, perSecond: number): void {
    const nowMs = this.clock.now().getTime();
    const bucket = this.bucket(scope, quota, perSecond, nowMs);
    if (!bucket.ready(nowMs)) throw new ThrottlingException();
    bucket.consume();
  }

  private bucket(scope: Scope, quota: string, perSecond: number, nowMs: number): TokenBucket {
    const id = `${scope.account}/${scope.region}/${quota}`;
    let bucket = this.buckets.get(id);
    if (!bucket) {
      bucket = new TokenBucket(perSecond, nowMs);
      this.buckets.set(id, bucket);
    }
    return bucket;
  }
}
