/**
 * GET /metrics in the Prometheus text format (prom-client), off unless `--metrics` is given.
 *
 * What a request costs: one counter and one histogram update (two for an error), no store
 * access. Key and custom key store counts are read from the store only when scraped, and
 * not even then while nothing changed (kms/key-counts.ts KmsCounter, which also says how
 * old the counts of a large store that keeps changing may be).
 * Unauthenticated when enabled, like most exporters: it shows counts across every account
 * (never key ids or names), so expose it only where the scraper runs (README, Operations).
 * Each kmsd has its own registry, so several in one process (tests) never mix their series.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestOutcome } from '../gateway/http.js';
import type { Route } from '../gateway/http.js';
import type { KmsCounts } from '../kms/key-counts.js';
import type { Log } from '../core/log.js';
import { offloadedJobCounts } from '../kms/crypto-offload.js';

export class KmsdMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'service' | 'operation' | 'status'>;
  private readonly errors: Counter<'service' | 'operation' | 'type'>;
  private readonly latency: Histogram<'service' | 'operation'>;

  private readonly keys: Gauge<'state'>;
  private readonly keyStores: Gauge<'state'>;
  private readonly storeUp: Gauge;

  constructor(
    private readonly counts: () => Promise<KmsCounts>,
    private readonly log: Log,
  ) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'kmsd_requests_total',
      help: 'API requests answered, by service, operation and HTTP status.',
      labelNames: ['service', 'operation', 'status'],
      registers,
    });
    this.errors = new Counter({
      name: 'kmsd_request_errors_total',
      help: 'API requests answered with an error, by service, operation and error type.',
      labelNames: ['service', 'operation', 'type'],
      registers,
    });
    this.latency = new Histogram({
      name: 'kmsd_request_duration_seconds',
      help: 'Time from receiving an API request to writing its answer.',
      labelNames: ['service', 'operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.keys = new Gauge({
      name: 'kmsd_keys',
      help: 'KMS keys in every account and Region, by key state (as DescribeKey reports it).',
      labelNames: ['state'],
      registers,
    });
    this.keyStores = new Gauge({
      name: 'kmsd_custom_key_stores',
      help: 'Custom key stores in every account and Region, by connection state.',
      labelNames: ['state'],
      registers,
    });
    this.storeUp = new Gauge({
      name: 'kmsd_store_up',
      help: '1 when the last scrape had the counts from the store (read, or kept while nothing changed), 0 when reading failed.',
      registers,
    });
    new Counter({
      name: 'kmsd_crypto_offload_jobs_total',
      help: 'Crypto jobs (signatures, verifications, SM2 encryption, ECDH, ML-DSA key pairs) run in the worker-thread pool, by job.',
      labelNames: ['job'],
      registers,
      // The pool is the process's (kms/crypto-offload.ts), shared by every kmsd in it: its
      // counts are read when scraped, not pushed here.
      collect() {
        this.reset();
        for (const [job, n] of offloadedJobCounts()) this.inc({ job }, n);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** The Prometheus text of every metric, the store-derived gauges read now. */
  async scrape(): Promise<string> {
    this.keys.reset();
    this.keyStores.reset();
    try {
      const counts = await this.counts();
      for (const [state, n] of Object.entries(counts.keysByState)) this.keys.set({ state }, n);
      for (const [state, n] of Object.entries(counts.customKeyStoresByState)) this.keyStores.set({ state }, n);
      this.storeUp.set(1);
    } catch (err) {
      // The request metrics are still worth serving; the counts are left out rather than stale.
      this.log({ level: 'warn', msg: 'metrics: cannot read the store', err });
      this.storeUp.set(0);
    }
    return this.registry.metrics();
  }

  observe(o: RequestOutcome): void {
    const labels = { service: o.service, operation: o.operation };
    this.requests.inc({ ...labels, status: String(o.status) });
    this.latency.observe(labels, o.seconds);
    if (o.errorType !== undefined) this.errors.inc({ ...labels, type: o.errorType });
  }
}

export function metricsRoute(metrics: KmsdMetrics): Route {
  return async (req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') return false;
    const text = await metrics.scrape();
    res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
    res.end(text);
    return true;
  };
}
