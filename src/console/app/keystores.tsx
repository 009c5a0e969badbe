/** Custom key stores: list with connection status, the actions menu, create and edit forms. */
import { useEffect, useRef, useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { call, listAll } from './api';
import type { JsonObject } from './api';
import { findHelp } from './help';
import {
  ActionStatus,
  Dialog,
  ErrorAlert,
  FormButtons,
  Link,
  Progress,
  TableHead,
  formatDate,
  navigate,
  readFileInto,
  useAction,
  useLoad,
} from './ui';
import { describeClusters } from './clusters';
import type { Cluster } from './clusters';
import { KeyStoreSavedAlert } from './keystore-saved-alert';
import { EditExternalKeyStore, NEW_XKS_SETTINGS, XksFields, createXksInput } from './external-keystores';
import type { XksProxyConfiguration, XksSettings } from './external-keystores';

export interface KeyStore {
  CustomKeyStoreId: string;
  CustomKeyStoreName: string;
  CustomKeyStoreType?: string;
  CloudHsmClusterId?: string;
  ConnectionState: string;
  ConnectionErrorCode?: string;
  CreationDate?: number;
  XksProxyConfiguration?: XksProxyConfiguration;
}

const TRANSITIONAL = new Set(['CONNECTING', 'DISCONNECTING']);
const REFRESH_MS = 1500;

export function describeKeyStores(region: string, filter: JsonObject = {}): Promise<KeyStore[]> {
  return listAll<KeyStore>('kms', 'DescribeCustomKeyStores', filter, 'CustomKeyStores', region);
}

/** Reloads every REFRESH_MS while `active` is true (a connect or disconnect is in progress). */
function useAutoRefresh(active: boolean, reload: () => void): void {
  useEffect(() => {
    if (!active) return;
    const timer = window.setTimeout(reload, REFRESH_MS);
    return () => window.clearTimeout(timer);
  });
}

export function KeyStoresPage(props: { region: string; rest: string[] }) {
  const [first, second] = props.rest;
  if (first === 'create') return <CreateKeyStore region={props.region} />;
  if (first && second === 'edit') return <EditKeyStore region={props.region} id={first} />;
  return <KeyStoreList region={props.region} />;
}

function StatusCell(props: { store: KeyStore }) {
  const { ConnectionState: state, ConnectionErrorCode: code } = props.store;
  const help = code ? findHelp(code) : undefined;
  return (
    <span className={`status status-${state.toLowerCase()}`}>
      {TRANSITIONAL.has(state) && <span className="spinner" aria-hidden="true" />}
      {state}
      {state === 'FAILED' && code && (
        <span className="status-detail">
          {' '}
          — <code>{code}</code>
          {help && (
            <>
              : {help.problem} <Link to={`/troubleshooting#${code}`}>How to fix</Link>
            </>
          )}
        </span>
      )}
    </span>
  );
}

function KeyStoreList(props: { region: string }) {
  const stores = useLoad(() => describeKeyStores(props.region), [props.region]);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [menuOpen, setMenuOpen] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const action = useAction();
  const busyTransition = (stores.data ?? []).some((s) => TRANSITIONAL.has(s.ConnectionState));
  useAutoRefresh(busyTransition, stores.reload);
  const store = stores.data?.find((s) => s.CustomKeyStoreId === selected);

  const act = async (label: string, operation: string, done: string) => {
    setMenuOpen(false);
    if (!store) return;
    await action.run(
      label,
      async () => {
        await call('kms', operation, { CustomKeyStoreId: store.CustomKeyStoreId }, props.region);
      },
      done.replace('{name}', store.CustomKeyStoreName),
    );
    stores.reload();
  };

  return (
    <section aria-labelledby="ks-title">
      <div className="page-head">
        <h1 id="ks-title">Custom key stores</h1>
        <div className="actions">
          <button type="button" onClick={stores.reload} aria-label="Refresh custom key stores">
            Refresh
          </button>
          <Menu
            label="Key store actions"
            open={menuOpen}
            setOpen={setMenuOpen}
            items={[
              { label: 'Create custom key store', onSelect: () => navigate('/keystores/create') },
              {
                label: 'Connect custom key store',
                disabled: !store,
                onSelect: () =>
                  act('Connecting…', 'ConnectCustomKeyStore', 'Connecting {name}. The status changes to CONNECTED when done.'),
              },
              {
                label: 'Disconnect custom key store',
                disabled: !store,
                onSelect: () => act('Disconnecting…', 'DisconnectCustomKeyStore', 'Disconnecting {name}.'),
              },
              {
                label: 'Edit custom key store settings',
                disabled: !store,
                onSelect: () => store && navigate(`/keystores/${store.CustomKeyStoreId}/edit`),
              },
              {
                label: 'Delete custom key store',
                disabled: !store,
                onSelect: () => {
                  setMenuOpen(false);
                  setConfirmDelete(true);
                },
              },
            ]}
          />
        </div>
      </div>
      <ActionStatus action={action} />
      {stores.error !== undefined && <ErrorAlert error={stores.error} title="Could not list the custom key stores" />}
      {stores.loading && !stores.data && <Progress label="Loading custom key stores…" />}
      {busyTransition && <p className="muted">A connection change is in progress; the list refreshes by itself.</p>}
      {stores.data && (
        <table aria-label="Custom key stores">
          <TableHead columns={['Name', 'ID', 'Type', 'Cluster ID or proxy', 'Creation date', 'Status']} select />
          <tbody>
            {stores.data.length === 0 && (
              <tr>
                <td colSpan={7} className="muted">
                  No custom key stores in {props.region}.
                </td>
              </tr>
            )}
            {stores.data.map((s) => (
              <tr key={s.CustomKeyStoreId} className={s.CustomKeyStoreId === selected ? 'selected' : undefined}>
                <td>
                  <input
                    type="radio"
                    name="keystore"
                    aria-label={`Select ${s.CustomKeyStoreName}`}
                    checked={s.CustomKeyStoreId === selected}
                    onChange={() => setSelected(s.CustomKeyStoreId)}
                  />
                </td>
                <td className="nowrap">{s.CustomKeyStoreName}</td>
                <td>
                  <code>{s.CustomKeyStoreId}</code>
                </td>
                <td>{s.CustomKeyStoreType === 'EXTERNAL_KEY_STORE' ? 'External' : 'AWS CloudHSM'}</td>
                <td>
                  {s.CloudHsmClusterId && <code>{s.CloudHsmClusterId}</code>}
                  {s.XksProxyConfiguration && (
                    <code>
                      {s.XksProxyConfiguration.UriEndpoint}
                      {s.XksProxyConfiguration.UriPath}
                    </code>
                  )}
                </td>
                <td className="nowrap">{formatDate(s.CreationDate)}</td>
                <td>
                  <StatusCell store={s} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {confirmDelete && store && (
        <Dialog title="Delete custom key store" onClose={() => setConfirmDelete(false)}>
          <p>
            Delete <strong>{store.CustomKeyStoreName}</strong> ({store.CustomKeyStoreId})? Only the key store is removed; its cluster, HSM
            users and key material stay. It must be disconnected and hold no KMS keys.
          </p>
          <div className="actions">
            <button type="button" onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              onClick={() => {
                setConfirmDelete(false);
                void act('Deleting…', 'DeleteCustomKeyStore', 'Deleted {name}.');
              }}
            >
              Delete
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}

export interface MenuItem {
  label: string;
  disabled?: boolean;
  onSelect: () => void;
}

/** A menu button (WAI-ARIA menu pattern): the items are menuitems, Escape closes it. */
export function Menu(props: { label: string; open: boolean; setOpen: (o: boolean) => void; items: MenuItem[] }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!props.open) return;
    const close = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) props.setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  });
  return (
    <div className="menu" ref={ref} onKeyDown={(e) => e.key === 'Escape' && props.setOpen(false)}>
      <button type="button" aria-haspopup="menu" aria-expanded={props.open} onClick={() => props.setOpen(!props.open)}>
        {props.label} ▾
      </button>
      {props.open && (
        <ul role="menu" aria-label={props.label}>
          {props.items.map((item) => (
            <li key={item.label} role="none">
              <button type="button" role="menuitem" disabled={item.disabled} onClick={item.onSelect}>
                {item.label}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function CreateKeyStore(props: { region: string }) {
  const clusters = useLoad(() => describeClusters(props.region), [props.region]);
  const [name, setName] = useState('');
  const [clusterId, setClusterId] = useState('');
  const [trustAnchor, setTrustAnchor] = useState('');
  const [password, setPassword] = useState('');
  const [type, setType] = useState('AWS_CLOUDHSM');
  const [xks, setXks] = useState<XksSettings>(NEW_XKS_SETTINGS);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const input: JsonObject =
      type === 'EXTERNAL_KEY_STORE'
        ? { CustomKeyStoreName: name, ...createXksInput(xks) }
        : { CustomKeyStoreName: name, CloudHsmClusterId: clusterId, TrustAnchorCertificate: trustAnchor, KeyStorePassword: password };
    const ok = await action.run('Creating the custom key store…', async () => {
      await call('kms', 'CreateCustomKeyStore', input, props.region);
    });
    if (ok) navigate('/keystores');
  };
  return (
    <section aria-labelledby="create-ks-title">
      <h1 id="create-ks-title">Create custom key store</h1>
      <form className="form" onSubmit={submit}>
        <label>
          Custom key store name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={256} />
        </label>
        <label>
          Key store type
          <select value={type} onChange={(e) => setType(e.target.value)}>
            <option value="AWS_CLOUDHSM">AWS CloudHSM key store</option>
            <option value="EXTERNAL_KEY_STORE">External key store (XKS proxy)</option>
          </select>
        </label>
        {type === 'EXTERNAL_KEY_STORE' && <XksFields value={xks} onChange={setXks} secretRequired />}
        {type === 'AWS_CLOUDHSM' && (
          <>
            <label>
              AWS CloudHSM cluster ID
              <select value={clusterId} onChange={(e) => setClusterId(e.target.value)} required>
                <option value="">Choose a cluster</option>
                {(clusters.data ?? []).map((c) => (
                  <option key={c.ClusterId} value={c.ClusterId}>
                    {c.ClusterId} ({c.State})
                  </option>
                ))}
              </select>
            </label>
            {clusters.error !== undefined && <ErrorAlert error={clusters.error} title="Could not list the CloudHSM clusters" />}
            <label>
              Trust anchor certificate (PEM of customerCA.crt)
              <textarea value={trustAnchor} onChange={(e) => setTrustAnchor(e.target.value)} rows={6} required />
            </label>
            <label>
              Or upload the trust anchor certificate file
              <input type="file" accept=".crt,.pem" onChange={readFileInto(setTrustAnchor)} />
            </label>
            <label>
              kmsuser password
              <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="off" required />
            </label>
          </>
        )}
        <ActionStatus action={action} />
        <FormButtons submit="Create custom key store" onCancel={() => navigate('/keystores')} busy={action.busy !== undefined} />
      </form>
    </section>
  );
}

/** Clusters sharing the current cluster's certificate (its backup history), and the rest. */
function splitClusters(clusters: Cluster[], currentId: string | undefined): { related: Cluster[]; other: Cluster[] } {
  const current = clusters.find((c) => c.ClusterId === currentId);
  const cert = current?.Certificates?.ClusterCertificate;
  const related = clusters.filter((c) => c.ClusterId === currentId || (cert !== undefined && c.Certificates?.ClusterCertificate === cert));
  return { related, other: clusters.filter((c) => !related.includes(c)) };
}

function EditKeyStore(props: { region: string; id: string }) {
  const loaded = useLoad(async () => (await describeKeyStores(props.region, { CustomKeyStoreId: props.id }))[0], [props.region, props.id]);
  const clusters = useLoad(() => describeClusters(props.region), [props.region]);
  const store = loaded.data;
  const [name, setName] = useState<string | undefined>(undefined);
  const [clusterId, setClusterId] = useState<string | undefined>(undefined);
  const [password, setPassword] = useState('');
  const [saved, setSaved] = useState<{ name: string; edited: string[] } | undefined>(undefined);
  const action = useAction();
  useAutoRefresh(store !== undefined && TRANSITIONAL.has(store.ConnectionState), loaded.reload);

  if (loaded.error !== undefined) return <ErrorAlert error={loaded.error} title="Could not load the custom key store" />;
  if (!store) return <Progress label="Loading the custom key store…" />;
  if (store.CustomKeyStoreType === 'EXTERNAL_KEY_STORE') {
    return (
      <EditPage store={store}>
        <EditExternalKeyStore region={props.region} store={store} reload={loaded.reload} />
      </EditPage>
    );
  }

  const state = store.ConnectionState;
  const disconnected = state === 'DISCONNECTED';
  const nameEditable = disconnected || state === 'CONNECTED';
  const currentName = name ?? store.CustomKeyStoreName;
  const currentCluster = clusterId ?? store.CloudHsmClusterId ?? '';
  const { related, other } = splitClusters(clusters.data ?? [], store.CloudHsmClusterId);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(undefined);
    const input: JsonObject = { CustomKeyStoreId: store.CustomKeyStoreId };
    const edited: string[] = [];
    if (currentName !== store.CustomKeyStoreName) {
      input.NewCustomKeyStoreName = currentName;
      edited.push(`friendly name (now "${currentName}")`);
    }
    if (currentCluster !== (store.CloudHsmClusterId ?? '')) {
      input.CloudHsmClusterId = currentCluster;
      edited.push(`cluster ID (now ${currentCluster})`);
    }
    if (password) {
      input.KeyStorePassword = password;
      edited.push('kmsuser password');
    }
    if (edited.length === 0) {
      setSaved({ name: store.CustomKeyStoreName, edited });
      return;
    }
    const ok = await action.run('Saving the settings…', async () => {
      await call('kms', 'UpdateCustomKeyStore', input, props.region);
    });
    if (ok) {
      setSaved({ name: store.CustomKeyStoreName, edited });
      setPassword('');
      setName(undefined);
      setClusterId(undefined);
      loaded.reload();
    }
  };

  const disconnect = () =>
    action.run('Disconnecting…', async () => {
      await call('kms', 'DisconnectCustomKeyStore', { CustomKeyStoreId: store.CustomKeyStoreId }, props.region);
      loaded.reload();
    });
  const connect = () =>
    action.run('Connecting…', async () => {
      await call('kms', 'ConnectCustomKeyStore', { CustomKeyStoreId: store.CustomKeyStoreId }, props.region);
      loaded.reload();
    });

  return (
    <EditPage store={store}>
      {!disconnected && (
        <div className="alert alert-info" role="note">
          <p>
            The cluster ID and the kmsuser password can only be changed while the key store is DISCONNECTED
            {nameEditable ? '; the name can be changed now.' : '; wait until the connection change has finished.'}
          </p>
          {(state === 'CONNECTED' || state === 'CONNECTING' || state === 'FAILED') && (
            <button type="button" onClick={() => void disconnect()} disabled={action.busy !== undefined}>
              Disconnect custom key store
            </button>
          )}
        </div>
      )}
      {saved && (
        <KeyStoreSavedAlert
          storeName={saved.name}
          edited={saved.edited}
          connected={store.ConnectionState === 'CONNECTED'}
          busy={action.busy !== undefined}
          onConnect={() => void connect()}
        />
      )}
      <form className="form" onSubmit={save}>
        <label>
          Custom key store name
          <input value={currentName} onChange={(e) => setName(e.target.value)} disabled={!nameEditable} required maxLength={256} />
        </label>
        <label>
          AWS CloudHSM cluster ID
          <select
            value={currentCluster}
            onChange={(e) => setClusterId(e.target.value)}
            disabled={!disconnected}
            aria-describedby="cluster-hint"
          >
            {!related.some((c) => c.ClusterId === currentCluster) && !other.some((c) => c.ClusterId === currentCluster) && (
              <option value={currentCluster}>{currentCluster} (current)</option>
            )}
            <optgroup label="Related clusters (same cluster certificate)">
              {related.map((c) => (
                <option key={c.ClusterId} value={c.ClusterId}>
                  {c.ClusterId} ({c.State}){c.ClusterId === store.CloudHsmClusterId ? ' — current' : ''}
                </option>
              ))}
            </optgroup>
            {other.length > 0 && (
              <optgroup label="Other clusters (not related)">
                {other.map((c) => (
                  <option key={c.ClusterId} value={c.ClusterId}>
                    {c.ClusterId} ({c.State}) — not related
                  </option>
                ))}
              </optgroup>
            )}
          </select>
        </label>
        <p id="cluster-hint" className="muted">
          A key store can only move to a related cluster: the original one, or one created from a backup of it.
        </p>
        {clusters.error !== undefined && <ErrorAlert error={clusters.error} title="Could not list the CloudHSM clusters" />}
        <label>
          Current kmsuser password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            disabled={!disconnected}
            autoComplete="off"
            placeholder="Leave empty to keep the password KMS has"
          />
        </label>
        <ActionStatus action={action} errorTitle="Saving failed" />
        <FormButtons
          submit="Save"
          onCancel={() => navigate('/keystores')}
          cancel="Back to custom key stores"
          busy={action.busy !== undefined}
        />
      </form>
    </EditPage>
  );
}

function EditPage(props: { store: KeyStore; children: ReactNode }) {
  return (
    <section aria-labelledby="edit-ks-title">
      <h1 id="edit-ks-title">Edit custom key store settings</h1>
      <p>
        <code>{props.store.CustomKeyStoreId}</code> — status <StatusCell store={props.store} />
      </p>
      {props.children}
    </section>
  );
}
