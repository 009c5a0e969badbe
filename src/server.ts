/**
 * createKmsd(options) -> { listen, close }: the library entry point. Wires the layers
 * together: store -> key backends -> services (KMS, CloudHSM V2) -> gateway.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from './core/clock.js';
import { OffsetClock } from './core/clock.js';
import { createGateway } from './gateway/http.js';
import type { Route } from './gateway/http.js';
import { SigV4Verifier } from './gateway/sigv4.js';
import { RootKey } from './keystores/root-key.js';
import { LocalKeyBackend } from './keystores/local-key-backend.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { Store } from './store/store.js';
import { createKmsService } from './kms/service.js';
import type { KmsDeps } from './kms/context.js';
import { createHsmModule } from './cloudhsm/hsm/index.js';
import type { CloudHsmClusters } from './keystores/cloudhsm-clusters.js';
import { CloudHsmKeyBackend } from './keystores/cloudhsm-key-backend.js';
import {
  customKeyStoreDirectory,
  keyStoreTransitionsIdle,
  resumeConnectedStores,
  runKeyStoreTransitions,
} from './kms/custom-key-stores.js';
import { credentialsOf, defaultConfig } from './config.js';
import type { KmsdConfig } from './config.js';

export interface KmsdOptions {
  host?: string;
  port?: number;
  /** Holds kmsd.sqlite and the root key. Ignored with inMemory. */
  dataDir?: string;
  inMemory?: boolean;
  config?: KmsdConfig;
  /** Base64 of 32 bytes; defaults to KMSD_ROOT_KEY, then the data dir's root-key file. */
  rootKey?: string;
  /**
   * Enables POST /_kmsd/test/clock, which moves the service clock forward (deletion
   * windows, rotation, backups). For tests only: never enable it in production.
   */
  testHooks?: boolean;
  log?: (entry: Record<string, unknown>) => void;
  /**
   * How long ConnectCustomKeyStore/DisconnectCustomKeyStore stay CONNECTING/DISCONNECTING,
   * in milliseconds of service-clock time (AWS: minutes). 0 finishes right after the call.
   */
  keyStoreTransitionMs?: number;
  /** Tests only: the CloudHSM clusters KMS custom key stores talk to, instead of kmsd's own HSMs. */
  clusters?: CloudHsmClusters;
}

export interface Kmsd {
  /** Resolves with the endpoint URL once the server is listening. */
  listen(): Promise<string>;
  /** Stops accepting connections, finishes requests in flight, closes the store. */
  close(): Promise<void>;
  readonly clock: Clock;
  readonly store: Store;
}

/** Background work on the service clock (deletions, rotations, backups, state transitions). */
export type PeriodicTask = (now: Date) => Promise<void>;

const TICK_MS = 1000;
const DEFAULT_KEY_STORE_TRANSITION_MS = 2000;

export function createKmsd(options: KmsdOptions = {}): Kmsd {
  const config = options.config ?? defaultConfig();
  const clock = new OffsetClock();
  const log = options.log ?? ((entry) => console.error(JSON.stringify(entry)));

  let store: Store;
  let rootKey: RootKey;
  const rootKeyB64 = options.rootKey ?? process.env.KMSD_ROOT_KEY;
  if (options.inMemory) {
    store = new SqliteStore(':memory:');
    rootKey = rootKeyB64 ? RootKey.fromBase64(rootKeyB64) : RootKey.random();
  } else {
    const dataDir = options.dataDir ?? './data';
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    store = new SqliteStore(join(dataDir, 'kmsd.sqlite'));
    rootKey = rootKeyB64 ? RootKey.fromBase64(rootKeyB64) : RootKey.fromDataDir(dataDir);
  }

  // One HSM module serves both the CloudHSM V2 API and the KMS custom key stores.
  const hsmModule = createHsmModule({ store, clock, rootKey });
  const cloudHsmKeyStores = new CloudHsmKeyBackend({
    clusters: options.clusters ?? hsmModule,
    store,
    rootKey,
    clock,
    directory: customKeyStoreDirectory(store),
  });
  const kmsDeps: KmsDeps = {
    store,
    clock,
    localKeys: new LocalKeyBackend(store, rootKey),
    customKeyStoreBackend: cloudHsmKeyStores,
    cloudHsmKeyStores,
    keyStoreTransitionMs: options.keyStoreTransitionMs ?? DEFAULT_KEY_STORE_TRANSITION_MS,
  };
  const tasks: PeriodicTask[] = [
    function customKeyStoreTransitions() {
      return runKeyStoreTransitions(kmsDeps);
    },
  ];

  const routes: Route[] = [healthRoute];
  if (options.testHooks) routes.push(testClockRoute(clock, () => runTasks()));

  const gateway = createGateway({
    services: [createKmsService(kmsDeps)],
    verifier: new SigV4Verifier(credentialsOf(config)),
    clock,
    routes,
    log,
  });
  const server: Server = createServer({ keepAliveTimeout: 65_000 }, gateway);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  function runTasks(): Promise<void> {
    running = running.then(async () => {
      for (const task of tasks) {
        try {
          await task(clock.now());
        } catch (err) {
          log({ level: 'error', task: task.name, error: (err as Error).stack ?? String(err) });
        }
      }
    });
    return running;
  }

  return {
    clock,
    store,
    async listen() {
      // Stores that were CONNECTED when kmsd stopped log in to their clusters again.
      await resumeConnectedStores(kmsDeps);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 4599, options.host ?? '127.0.0.1', () => resolve());
      });
      timer = setInterval(() => void runTasks(), TICK_MS);
      timer.unref();
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      return `http://${host}:${addr.port}`;
    },
    async close() {
      if (timer) clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await running;
      await keyStoreTransitionsIdle(kmsDeps);
      await cloudHsmKeyStores.closeSessions();
      await store.close();
    },
  };
}

const healthRoute: Route = async (req, res) => {
  if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/health') return false;
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end('{"status":"ok"}');
  return true;
};

function testClockRoute(clock: OffsetClock, afterMove: () => Promise<void>): Route {
  return async (req, res, body) => {
    if (req.method !== 'POST' || req.url !== '/_kmsd/test/clock') return false;
    let advanceSeconds: unknown;
    try {
      ({ advanceSeconds } = JSON.parse(body.toString('utf8') || '{}') as { advanceSeconds?: unknown });
    } catch {
      advanceSeconds = undefined;
    }
    if (typeof advanceSeconds !== 'number' || !(advanceSeconds >= 0)) {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end('{"message":"advanceSeconds must be a non-negative number"}');
      return true;
    }
    clock.advance(advanceSeconds * 1000);
    await afterMove();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ now: clock.now().toISOString() }));
    return true;
  };
}
