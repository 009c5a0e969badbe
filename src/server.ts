/**
 * createKmsd(options) -> { listen, close }: the library entry point. Wires the layers
 * together: store -> key backends -> services (KMS, CloudHSM V2) -> gateway.
 */
import type { ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { Clock } from './core/clock.js';
import { OffsetClock } from './core/clock.js';
import { createGateway } from './gateway/http.js';
import type { Route } from './gateway/http.js';
import { checkTestHooksHost, newTestHooksToken, testClockRoute } from './server/test-hooks.js';
import { SigV4Verifier } from './gateway/sigv4.js';
import { takeRootKeyFromEnv } from './keystores/root-key.js';

/** For the CLI: it reports where the root key came from. */
export { takeRootKeyFromEnv };
import { LocalKeyBackend } from './keystores/local-key-backend.js';
import type { Store } from './store/store.js';
import { createKmsService } from './kms/service.js';
import { createHsmManagementService } from './cloudhsm/hsm/management-service.js';
import type { KmsDeps } from './kms/context.js';
import { quotaSettings } from './kms/quotas.js';
import { RequestThrottle } from './kms/request-throttle.js';
import type { CloudHsmClusters } from './keystores/cloudhsm-clusters.js';
import { CloudHsmKeyBackend } from './keystores/cloudhsm-key-backend.js';
import { Pkcs11KeyBackend } from './keystores/pkcs11-key-backend.js';
import { XksKeyStores } from './keystores/xks-key-backend.js';
import { XksProxyClient } from './keystores/xks-proxy-client.js';
import { customKeyStoreDirectory } from './kms/custom-key-stores.js';
import { keyStoreTransitionsIdle, reconcileKeyStoreSessions } from './kms/key-store-transitions.js';
import { KeyLastUsageTracker } from './kms/key-last-usage.js';
import { KeyImports } from './keystores/key-imports.js';
import { closeCryptoPool, offload } from './kms/crypto-offload.js';
import { createCloudHsmService } from './cloudhsm/service.js';
import type { CloudHsmDeps } from './cloudhsm/context.js';
import { ClusterCertificates } from './cloudhsm/certificates.js';
import type { HsmContents } from './cloudhsm/hsm-contents.js';
import { createHsmModule } from './cloudhsm/hsm/index.js';
import { COST as HSM_PASSWORD_COST, MAX_COST_LOG2, MIN_COST_LOG2, passwordCost as hsmPasswordCost } from './cloudhsm/hsm/passwords.js';
import { checkConfig, defaultConfig } from './config.js';
import { AuditLog } from './audit/audit-log.js';
import { createStsService } from './sts/service.js';
import { IdentityDirectory } from './auth/identities.js';
import { knownPrincipals } from './auth/known-principals.js';
import { SessionTokens } from './auth/session-tokens.js';
import { createConsoleRoute } from './console/server/console-route.js';
import type { KmsdConfig } from './config.js';
import { defaultAllowedHosts, hostAllowList } from './gateway/host-check.js';
import { createListener } from './server/listener.js';
import type { ServerLimits, TlsMaterial } from './server/listener.js';
import type { Log } from './core/log.js';
import { createLogger } from './server/logger.js';
import type { LoggerLevel } from './server/logger.js';
import { KmsdMetrics, metricsRoute } from './server/metrics.js';
import { KmsCounter } from './kms/key-counts.js';
import { checkRootKey, readRootKeyCheck } from './server/root-key-check.js';
import { healthRoute, readyRoute } from './server/routes/health.js';
import { hardwareRootsRoute } from './server/routes/hardware-roots.js';
import { chooseStore } from './server/store-choice.js';
import { kmsdTasks, PeriodicTaskRunner } from './server/periodic-tasks.js';

export interface KmsdOptions {
  /**
   * Called when the listening server fails after start (e.g. EMFILE on accept), after the
   * failure is logged; `kmsd serve` stops. Without it kmsd only logs and goes on.
   */
  onServerError?: (err: Error) => void;
  host?: string;
  port?: number;
  /** Serve HTTPS (API and console) with this certificate and key instead of plain HTTP. */
  tls?: TlsMaterial;
  /**
   * Host header values served (names or addresses, `*` for any); others get a 400 before
   * anything runs. Default: the bind address (every interface on 0.0.0.0), localhost,
   * 127.0.0.1 and ::1.
   */
  allowedHosts?: string[];
  /**
   * `postgres://…` (a database several kmsd nodes share; the root key must then be given)
   * or `sqlite:<path>`. Without it, dataDir or inMemory decide (server/store-choice.ts).
   */
  store?: string;
  /** Holds kmsd.sqlite and the root key. Ignored with inMemory or store. */
  dataDir?: string;
  inMemory?: boolean;
  config?: KmsdConfig;
  /** Base64 of 32 bytes; defaults to KMSD_ROOT_KEY, then the data dir's root-key file. */
  rootKey?: string;
  /** A file holding the base64 root key, when rootKey and KMSD_ROOT_KEY are not set. */
  rootKeyFile?: string;
  /**
   * Enables POST /_kmsd/test/clock, which moves the service clock forward (deletion
   * windows, rotation, backups). For tests only: never enable it in production. Needs a
   * loopback host and the per-run testHooksToken (src/server/test-hooks.ts).
   */
  testHooks?: boolean;
  /**
   * Replaces the emulated HSMs' contents (users, keys) seen by the CloudHSM V2 API, so the
   * API's own behaviour can be tested in isolation. For tests only.
   */
  hsmContents?: HsmContents;
  /** Where log entries go; default: JSON lines on standard error at `logLevel`. */
  log?: Log;
  /** Default 'info'; 'debug' adds one line per API request. Ignored when `log` is given. */
  logLevel?: LoggerLevel;
  /**
   * Serves GET /metrics (Prometheus text format) without authentication. Off by default:
   * the counts cover every account, so only turn it on where the scraper alone can reach it.
   */
  metrics?: boolean;
  /** Appends one CloudTrail-style JSON line per API call to this file (created 0600). */
  auditLog?: string;
  /**
   * How long ConnectCustomKeyStore/DisconnectCustomKeyStore stay CONNECTING/DISCONNECTING,
   * in milliseconds of service-clock time (AWS: minutes). 0 finishes right after the call.
   */
  keyStoreTransitionMs?: number;
  /**
   * How long a new multi-Region replica stays Creating (and keys stay Updating after
   * UpdatePrimaryRegion), in milliseconds of service-clock time. 0 finishes right after the call.
   */
  multiRegionTransitionMs?: number;
  /** Tests only: the CloudHSM clusters KMS custom key stores talk to, instead of kmsd's own HSMs. */
  clusters?: CloudHsmClusters;
  /**
   * Enforces AWS KMS request (rate) quotas, answering ThrottlingException beyond them (values
   * from the config file's `quotas.requestsPerSecond`, AWS's defaults otherwise). Off by default.
   */
  enforceRequestQuotas?: boolean;
  /**
   * Where kmsd sends an external key store's proxy requests instead of its
   * XksProxyUriEndpoint, by endpoint (`https://xks.example.com` -> `http://127.0.0.1:8443`).
   * SigV4 still names the configured host. For tests and private networks.
   */
  xksProxyEndpoints?: Record<string, string>;
  /**
   * Messages one CloudHSM-backed KMS key may encrypt before Encrypt refuses it (AES-GCM with
   * random IVs; default 2^32, keystores/cloudhsm-key-backend.ts). Lowered by tests.
   */
  cloudHsmKeyMessageLimit?: number;
  /**
   * scrypt cost of HSM password hashes as log2 N (default 17, the OWASP minimum; at least 14).
   * Lower costs are for test suites that log in thousands of times: kmsd warns at start.
   */
  hsmPasswordCost?: number;
  /**
   * How often each CONNECTED external key store's proxy is health-checked, in milliseconds of
   * service-clock time; 0 turns it off. Default: the config file's
   * `xksProxy.healthCheckSeconds`, else 60 seconds (AWS polls every few minutes).
   */
  xksHealthCheckIntervalMs?: number;
  /** Timeouts and the connection cap (server/listener.ts's DEFAULT_LIMITS for any not given). */
  limits?: Partial<ServerLimits>;
}

export interface Kmsd {
  /** Resolves with the endpoint URL once the server is listening. */
  listen(): Promise<string>;
  /** Stops accepting connections, finishes requests in flight, closes the store. */
  close(): Promise<void>;
  readonly clock: Clock;
  readonly store: Store;
  /** True when serving HTTPS. */
  readonly secure: boolean;
  /** Problems found at start that do not stop it (a data directory with loose modes). */
  readonly warnings: string[];
  /** With testHooks: the token every test-hook call must send (header X-Kmsd-Test-Token). */
  readonly testHooksToken?: string;
}

/** CloudHSM transitional states last this long unless configured (config.cloudhsm.transitionMs). */
const DEFAULT_TRANSITION_MS = 2000;
const DEFAULT_KEY_STORE_TRANSITION_MS = 2000;
const DEFAULT_MULTI_REGION_TRANSITION_MS = 2000;
const DEFAULT_XKS_HEALTH_CHECK_MS = 60_000;

/** Why `log2N` cannot be the HSM password cost (KmsdOptions.hsmPasswordCost), if it cannot. */
export function hsmPasswordCostProblem(log2N: number): string | undefined {
  return hsmPasswordCost(log2N) ? undefined : `must be an integer from ${MIN_COST_LOG2} to ${MAX_COST_LOG2}`;
}

export function createKmsd(options: KmsdOptions = {}): Kmsd {
  // A config handed over as an object gets the same checks as a config file.
  const config = options.config ? checkConfig(options.config, 'config') : defaultConfig();
  const clock = new OffsetClock();
  const log = options.log ?? createLogger(options.logLevel);
  // The debug entry of every request is built only where it can be written: a caller's own
  // log decides for itself; kmsd's own logger would drop it below `debug`.
  const logRequests = options.log !== undefined || options.logLevel === 'debug';

  const {
    store,
    open: openStore,
    rootKey,
    rootKeyCheck,
    warnings,
  } = chooseStore({
    store: options.store,
    dataDir: options.dataDir,
    inMemory: options.inMemory,
    // Taken out of the environment even when options.rootKey wins: no child may inherit it.
    rootKey: options.rootKey ?? takeRootKeyFromEnv(),
    rootKeyFile: options.rootKeyFile,
  });

  // Tokens open at their first use: a missing token or refused PIN fails only its clusters' keys.
  const pkcs11Tokens = new Map((config.pkcs11Tokens ?? []).map((t) => [t.name, Pkcs11KeyBackend.fromConfig(t)]));
  // One HSM module serves the CloudHSM V2 API, the HSM management interface and KMS custom key stores.
  const costProblem = options.hsmPasswordCost === undefined ? undefined : hsmPasswordCostProblem(options.hsmPasswordCost);
  if (costProblem) throw new RangeError(`hsmPasswordCost ${costProblem}`);
  const passwordCost = options.hsmPasswordCost === undefined ? undefined : hsmPasswordCost(options.hsmPasswordCost);
  if (passwordCost && passwordCost.N < HSM_PASSWORD_COST.N) {
    warnings.push(`HSM password hashes use scrypt N=2^${options.hsmPasswordCost}, below the OWASP minimum (2^17): for tests only`);
  }
  const hsmModule = createHsmModule({ store, clock, rootKey, passwordCost });
  const cloudHsmDeps: CloudHsmDeps = {
    store,
    clock,
    rootKey,
    contents: options.hsmContents ?? hsmModule,
    certificates: new ClusterCertificates(store, rootKey, () => clock.now()),
    subnets: config.subnets ?? {},
    transitionMs: config.cloudhsm?.transitionMs ?? DEFAULT_TRANSITION_MS,
    pkcs11Tokens: new Set(pkcs11Tokens.keys()),
  };
  const cloudHsmKeyStores = new CloudHsmKeyBackend({
    clusters: options.clusters ?? hsmModule,
    store,
    rootKey,
    clock,
    directory: customKeyStoreDirectory(store),
    messageLimit: options.cloudHsmKeyMessageLimit,
    pkcs11Tokens: (name) => pkcs11Tokens.get(name),
  });
  const quotas = quotaSettings(config.quotas);
  const localKeys = new LocalKeyBackend(store, rootKey);
  const kmsDeps: KmsDeps = {
    store,
    clock,
    localKeys,
    xksKeyStores: new XksKeyStores(
      new XksProxyClient({
        endpointOverrides: { ...config.xksProxy?.endpoints, ...options.xksProxyEndpoints },
        ca: config.xksProxy?.caFile ? readFileSync(config.xksProxy.caFile, 'utf8') : undefined,
      }),
      rootKey,
      localKeys,
    ),
    imports: new KeyImports(store, rootKey, (pkcs8, ciphertext) => offload('sm2Decrypt', pkcs8, ciphertext)),
    keyUsage: new KeyLastUsageTracker(store),
    customKeyStoreBackend: cloudHsmKeyStores,
    cloudHsmKeyStores,
    keyStoreTransitionMs: options.keyStoreTransitionMs ?? DEFAULT_KEY_STORE_TRANSITION_MS,
    xksHealthCheckIntervalMs:
      options.xksHealthCheckIntervalMs ??
      (config.xksProxy?.healthCheckSeconds !== undefined ? config.xksProxy.healthCheckSeconds * 1000 : DEFAULT_XKS_HEALTH_CHECK_MS),
    principalExists: knownPrincipals(config),
    quotas: quotas.resources,
    throttle: options.enforceRequestQuotas ? new RequestThrottle(quotas.rates, clock) : undefined,
    multiRegionTransitionMs: options.multiRegionTransitionMs ?? DEFAULT_MULTI_REGION_TRANSITION_MS,
    log,
  };
  const tasks = new PeriodicTaskRunner(kmsdTasks(kmsDeps, cloudHsmDeps, log), clock, log);

  const services = [createKmsService(kmsDeps), createCloudHsmService(cloudHsmDeps), createHsmManagementService(hsmModule)];
  // Root keys, IAM users and roles; role sessions come back as self-contained STS tokens.
  const identities = new IdentityDirectory(config, new SessionTokens(rootKey.deriveKey('sts-session-token')));
  const auditLog = options.auditLog
    ? new AuditLog(options.auditLog, (err) => log({ level: 'error', msg: 'cannot write the audit log', auditLog: options.auditLog, err }))
    : undefined;
  let closing = false;
  const kmsCounter = options.metrics ? new KmsCounter(store) : undefined;
  const metrics = kmsCounter ? new KmsdMetrics(() => kmsCounter.counts(), log) : undefined;
  const routes: Route[] = [
    healthRoute,
    readyRoute({ checkStore: () => readRootKeyCheck(store), stopping: () => closing, log }),
    hardwareRootsRoute(cloudHsmDeps.certificates),
    createConsoleRoute({ services, store, credentials: (id) => identities.longTermKey(id), clock, auditLog }),
  ];
  if (metrics) routes.push(metricsRoute(metrics));
  let testHooksToken: string | undefined;
  if (options.testHooks) {
    checkTestHooksHost(options.host ?? '127.0.0.1');
    testHooksToken = newTestHooksToken();
    routes.push(testClockRoute(clock, testHooksToken, () => tasks.runNow()));
  }

  const gateway = createGateway({
    services,
    verifier: new SigV4Verifier(identities),
    queryService: createStsService({ identities, clock }),
    auditLog,
    clock,
    routes,
    log,
    onOutcome(outcome) {
      metrics?.observe(outcome);
      if (logRequests) log({ level: 'debug', msg: 'request', ...outcome });
    },
    isAllowedHost: hostAllowList(options.allowedHosts ?? defaultAllowedHosts(options.host ?? '127.0.0.1')),
  });
  // Responses not yet sent when close() is called end their connection, so a keep-alive
  // client cannot hold a stopping kmsd open until its idle timeout.
  const unanswered = new Set<ServerResponse>();
  const listener = createListener(
    (req, res) => {
      if (closing) res.setHeader('Connection', 'close');
      unanswered.add(res);
      res.once('close', () => unanswered.delete(res));
      gateway(req, res);
    },
    { tls: options.tls, limits: options.limits },
  );
  return {
    clock,
    store,
    secure: listener.secure,
    warnings,
    testHooksToken,
    async listen() {
      await openStore();
      await checkRootKey(store, rootKey, rootKeyCheck);
      await kmsDeps.keyUsage.start(clock.now());
      // Stores that were CONNECTED when kmsd stopped log in to their clusters again.
      await reconcileKeyStoreSessions(kmsDeps);
      const addr = await listener.listen(options.port ?? 4599, options.host ?? '127.0.0.1', (err) => {
        log({ level: 'error', msg: 'the server failed', err });
        options.onServerError?.(err);
      });
      tasks.start();
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      return `${listener.secure ? 'https' : 'http'}://${host}:${addr.port}`;
    },
    async close() {
      // No new background run from here; one in progress finishes before the store closes.
      const tasksStopped = tasks.stop();
      closing = true;
      for (const res of unanswered) if (!res.headersSent) res.setHeader('Connection', 'close');
      await listener.close();
      await tasksStopped;
      await kmsDeps.keyUsage.flushAll();
      await keyStoreTransitionsIdle(kmsDeps);
      await cloudHsmKeyStores.closeSessions();
      for (const token of pkcs11Tokens.values()) token.close();
      // Kept-alive connections to XKS proxies would otherwise hold the process for seconds.
      kmsDeps.xksKeyStores?.client.close();
      await auditLog?.close();
      await store.close();
      // After every request has been answered: no crypto job is left to wait for.
      await closeCryptoPool();
    },
  };
}
