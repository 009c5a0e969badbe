/**
 * A stand-in for the emulated HSMs' contents, so the CloudHSM V2 API tests exercise the API's
 * own logic (when contents are created, snapshotted, restored, destroyed) independently of
 * the HSM module. Each cluster's contents are a generation counter that snapshots capture.
 */
import type { HsmContents } from '../../src/cloudhsm/hsm-contents.js';
import type { Scope } from '../../src/store/store.js';

export interface FakeHsmContents extends HsmContents {
  /** cluster id -> its contents, e.g. `initialized:cluster-x#2` */
  readonly clusters: Map<string, string>;
  readonly calls: string[];
  /** Makes the next call of this method fail (an HSM-side failure). */
  failNext?: 'initialize' | 'snapshot' | 'restore' | 'destroy';
  /** Changes a cluster's contents (as a user or key change would). */
  touch(clusterId: string): void;
}

export function fakeHsmContents(): FakeHsmContents {
  const clusters = new Map<string, string>();
  const calls: string[] = [];
  const key = (scope: Scope, id: string) => `${scope.account}/${scope.region}/${id}`;
  const self: FakeHsmContents = {
    clusters,
    calls,
    touch(clusterId) {
      for (const [k, v] of clusters) {
        if (k.endsWith(`/${clusterId}`)) clusters.set(k, `${v.replace(/#\d+$/, '')}#${Number(/#(\d+)$/.exec(v)?.[1] ?? 0) + 1}`);
      }
    },
    async initialize(scope, clusterId) {
      failIf('initialize');
      calls.push(`initialize ${clusterId}`);
      clusters.set(key(scope, clusterId), `initialized:${clusterId}#0`);
    },
    async snapshot(scope, clusterId) {
      failIf('snapshot');
      calls.push(`snapshot ${clusterId}`);
      const contents = clusters.get(key(scope, clusterId));
      if (contents === undefined) throw new Error(`no contents for ${clusterId}`);
      return contents;
    },
    async restore(scope, clusterId, snapshot) {
      failIf('restore');
      calls.push(`restore ${clusterId} ${snapshot}`);
      clusters.set(key(scope, clusterId), snapshot);
    },
    async destroy(scope, clusterId) {
      failIf('destroy');
      calls.push(`destroy ${clusterId}`);
      clusters.delete(key(scope, clusterId));
    },
  };
  function failIf(method: FakeHsmContents['failNext']): void {
    if (self.failNext !== method) return;
    self.failNext = undefined;
    throw new Error(`injected ${method} failure`);
  }
  return self;
}
