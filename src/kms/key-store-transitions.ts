/**
 * The background half of the custom key store connection state machine (custom-key-stores.md §3):
 *
 *   Create -> DISCONNECTED --Connect--> CONNECTING --ok--> CONNECTED
 *                                            +-----fail--> FAILED (+ConnectionErrorCode)
 *   CONNECTING | CONNECTED | FAILED --Disconnect--> DISCONNECTING --> DISCONNECTED
 *
 * Connect and Disconnect answer at once; the transition finishes here after
 * `keyStoreTransitionMs` on the service clock (AWS: up to 20 minutes). Also the periodic
 * KmsHealthCheck of connected external key stores, and the kmsuser sessions each node keeps
 * for CONNECTED CloudHSM key stores.
 */
import type { ConnectionErrorCodeType } from '../generated/kms.js';
import type { Scope } from '../store/store.js';
import { DEFAULT_LEASE_MS } from '../store/store.js';
import type { KmsDeps } from './context.js';
import { customKeyStoreTable, nextHealthCheck } from './custom-key-stores.js';
import type { CustomKeyStoreRow } from './custom-key-stores.js';
import { activeHsmZones } from './cloudhsm-cluster-rules.js';
import { xksConnectionError } from './xks-key-stores.js';

const chains = new WeakMap<KmsDeps, Promise<void>>();

/** Finishes every CONNECTING/DISCONNECTING store whose time has come; runs one batch at a time. */
export function runKeyStoreTransitions(deps: KmsDeps): Promise<void> {
  const previous = chains.get(deps) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => settle(deps));
  chains.set(deps, next);
  return next;
}

/** Resolves once no background transition is running (kmsd waits for it on close). */
export async function keyStoreTransitionsIdle(deps: KmsDeps): Promise<void> {
  await (chains.get(deps) ?? Promise.resolve()).catch(() => undefined);
}

/** When a CONNECTING/DISCONNECTING state that starts now ends, on the service clock. */
export function transitionDue(deps: KmsDeps): number {
  return deps.clock.now().getTime() + Math.max(0, deps.keyStoreTransitionMs ?? 0);
}

/**
 * Called after Connect/Disconnect committed: with no delay configured, finish right away.
 * (Never from inside a transaction: the timer would inherit its async context.)
 */
export function kickTransitions(deps: KmsDeps): void {
  if ((deps.keyStoreTransitionMs ?? 0) <= 0) {
    // The store stays CONNECTING/DISCONNECTING and the 1 s tick retries (and logs its own failures).
    const logFailure = (err: unknown) => deps.log?.({ level: 'error', msg: 'custom key store transition failed', err });
    setImmediate(() => void runKeyStoreTransitions(deps).catch(logFailure));
  }
}

async function settle(deps: KmsDeps): Promise<void> {
  const table = customKeyStoreTable(deps.store);
  // Claimed: the HSM login of a connect runs on one node only.
  const due = await table.claimDue(deps.clock.now().getTime(), 100, DEFAULT_LEASE_MS);
  for (const { scope, row } of due) {
    if (row.connectionState === 'CONNECTING') await finishConnect(deps, scope, row);
    else if (row.connectionState === 'DISCONNECTING') await finishDisconnect(deps, scope, row);
    else if (row.connectionState === 'CONNECTED' && row.xks) await checkXksHealth(deps, scope, row);
    else await table.put(scope, row.id, row, { due: null });
  }
}

/**
 * §7: find the cluster, log in as kmsuser, rotate its password, keep the session. The new
 * password is stored (as nextPasswordWrapped, beside the current one) before the cluster is
 * told, so a node that stops between the two leaves kmsd knowing kmsuser's password either
 * way; the next login tries both.
 */
async function finishConnect(deps: KmsDeps, scope: Scope, row: CustomKeyStoreRow): Promise<void> {
  const table = customKeyStoreTable(deps.store);
  const backend = deps.cloudHsmKeyStores;
  let code: ConnectionErrorCodeType | undefined;
  let passwordWrapped = row.passwordWrapped;
  /** kmsd knows kmsuser's password for sure: nextPasswordWrapped can go. */
  let settled = false;
  try {
    const view = backend && !row.xks ? await backend.describeCluster(scope, row.clusterId) : undefined;
    if (row.xks) code = await xksConnectionError(deps, scope, row, 'ConnectCustomKeyStore');
    else if (!backend) code = 'INTERNAL_ERROR';
    else if (!view) code = 'CLUSTER_NOT_FOUND';
    else if (activeHsmZones(view).size === 0) code = 'INSUFFICIENT_CLOUDHSM_HSMS';
    else {
      const login = await backend.connect(scope, row.id, row.clusterId, knownPasswords(row));
      if (!login.ok) code = login.code;
      else {
        passwordWrapped = login.passwordWrapped;
        settled = true;
        const next = backend.newPasswordWrapped(scope, row.id);
        const stored = await deps.store.transaction(async () => {
          const current = await table.get(scope, row.id);
          if (current?.connectionState !== 'CONNECTING' || current.attempt !== row.attempt) return false;
          // Due again after a lease: if this node stops now, another one finishes the connect.
          const retry = deps.clock.now().getTime() + DEFAULT_LEASE_MS;
          await table.put(scope, row.id, { ...current, passwordWrapped, nextPasswordWrapped: next }, { due: retry });
          return true;
        });
        if (stored) {
          const rotation = await backend.rotatePassword(scope, row.id, next);
          settled = rotation.changed;
          if (rotation.changed) passwordWrapped = next;
          else {
            // The cluster may or may not have the new password: both are kept (see above).
            deps.log?.({ level: 'error', msg: 'custom key store connect failed', customKeyStoreId: row.id, err: rotation.cause });
            code = 'INTERNAL_ERROR';
          }
        }
      }
    }
  } catch (err) {
    // The store shows only INTERNAL_ERROR; the operator needs the cause.
    deps.log?.({ level: 'error', msg: 'custom key store connect failed', customKeyStoreId: row.id, err });
    code = 'INTERNAL_ERROR';
  }
  await deps.store.transaction(async () => {
    const current = await table.get(scope, row.id);
    if (!current) return;
    // What kmsuser's password is now, as far as kmsd knows: keep it whatever happened meanwhile.
    current.passwordWrapped = passwordWrapped;
    if (settled) delete current.nextPasswordWrapped;
    if (current.connectionState !== 'CONNECTING' || current.attempt !== row.attempt) {
      await table.put(scope, row.id, current, { due: current.connectionState === 'DISCONNECTING' ? deps.clock.now().getTime() : null });
      return;
    }
    current.connectionState = code ? 'FAILED' : 'CONNECTED';
    if (code) current.lastErrorCode = code;
    // A connect's GetHealthStatus is the store's first health check.
    if (!code && current.xks) current.health = { checkedAt: deps.clock.now().getTime() };
    await table.put(scope, row.id, current, { due: nextHealthCheck(deps, current) });
  });
  if (!code && backend && !row.xks) {
    const after = await table.get(scope, row.id);
    if (after?.connectionState !== 'CONNECTED') await backend.disconnect(scope, row.id);
  }
}

/**
 * The periodic `KmsHealthCheck` of a CONNECTED external key store (xks-proxy.md §4.4), on the
 * one node that claimed the row. The proxy is called outside any transaction; the outcome is
 * recorded (and the next check scheduled) only if the store is still in the same connection.
 * The state stays CONNECTED either way, as in AWS (custom-key-stores.md §3.2): crypto calls
 * fail on their own with the mapped KMSInvalidStateException while the proxy is down.
 */
async function checkXksHealth(deps: KmsDeps, scope: Scope, row: CustomKeyStoreRow): Promise<void> {
  const errorCode = await xksConnectionError(deps, scope, row, 'KmsHealthCheck');
  const table = customKeyStoreTable(deps.store);
  await deps.store.transaction(async () => {
    const current = await table.get(scope, row.id);
    if (current?.connectionState !== 'CONNECTED' || current.attempt !== row.attempt) return;
    const checked: CustomKeyStoreRow = { ...current, health: { checkedAt: deps.clock.now().getTime(), errorCode } };
    await table.put(scope, row.id, checked, { due: nextHealthCheck(deps, checked) });
  });
}

/** The store's kmsuser password, then one a connect was rotating to when its node stopped. */
function knownPasswords(row: CustomKeyStoreRow): string[] {
  return row.nextPasswordWrapped ? [row.passwordWrapped, row.nextPasswordWrapped] : [row.passwordWrapped];
}

/** §8: log kmsuser out and finish in DISCONNECTED. */
async function finishDisconnect(deps: KmsDeps, scope: Scope, row: CustomKeyStoreRow): Promise<void> {
  await deps.cloudHsmKeyStores?.disconnect(scope, row.id);
  const table = customKeyStoreTable(deps.store);
  await deps.store.transaction(async () => {
    const current = await table.get(scope, row.id);
    if (!current || current.connectionState !== 'DISCONNECTING') return;
    current.connectionState = 'DISCONNECTED';
    await table.put(scope, row.id, current, { due: null });
  });
}

/**
 * Each node holds its own HSM sessions, while the connection state lives in the store that
 * every node shares. At start and then on every tick, a node makes its sessions follow the
 * store: for a CONNECTED store it holds no session of (kmsd restarted, or another node
 * completed the connect) it logs in with the password kmsd holds (no rotation: this is not a
 * new connect); it logs out of a store that is DISCONNECTED or FAILED (disconnected through
 * another node). So a connect or disconnect through one node reaches the others within a
 * tick. A store that cannot log in moves to FAILED with the reason, as a failed connect would
 * (and so is not retried, which would lock kmsuser out).
 */
export async function reconcileKeyStoreSessions(deps: KmsDeps): Promise<void> {
  const backend = deps.cloudHsmKeyStores;
  if (!backend) return;
  const table = customKeyStoreTable(deps.store);
  for (const { scope, row } of await table.all()) {
    // External key stores hold no session: their proxy is called per request.
    if (row.xks) continue;
    const held = backend.hasSession(scope, row.id);
    if (held && (row.connectionState === 'DISCONNECTED' || row.connectionState === 'FAILED')) {
      await backend.disconnect(scope, row.id);
      continue;
    }
    if (row.connectionState !== 'CONNECTED' || held) continue;
    let code: ConnectionErrorCodeType | undefined;
    try {
      const view = await backend.describeCluster(scope, row.clusterId);
      if (!view) code = 'CLUSTER_NOT_FOUND';
      else if (activeHsmZones(view).size === 0) code = 'INSUFFICIENT_CLOUDHSM_HSMS';
      else {
        const result = await backend.connect(scope, row.id, row.clusterId, knownPasswords(row));
        if (!result.ok) code = result.code;
        else if (row.nextPasswordWrapped) await settlePassword(deps, scope, row, result.passwordWrapped);
      }
    } catch (err) {
      deps.log?.({ level: 'error', msg: 'custom key store login after restart failed', customKeyStoreId: row.id, err });
      code = 'INTERNAL_ERROR';
    }
    if (code) {
      const failed = code;
      await deps.store.transaction(async () => {
        const current = await table.get(scope, row.id);
        if (current?.connectionState !== 'CONNECTED') return;
        await table.put(scope, row.id, { ...current, connectionState: 'FAILED', lastErrorCode: failed }, { due: null });
      });
    }
  }
}

/** A login showed which of the known passwords kmsuser has: keep that one alone. */
async function settlePassword(deps: KmsDeps, scope: Scope, row: CustomKeyStoreRow, passwordWrapped: string): Promise<void> {
  const table = customKeyStoreTable(deps.store);
  await deps.store.transaction(async () => {
    const current = await table.get(scope, row.id);
    // Changed meanwhile (a new connect, an UpdateCustomKeyStore): that change knows better.
    if (current?.passwordWrapped !== row.passwordWrapped || current.nextPasswordWrapped !== row.nextPasswordWrapped) return;
    const settled = { ...current, passwordWrapped };
    delete settled.nextPasswordWrapped;
    await table.put(scope, row.id, settled, { due: null });
  });
}
