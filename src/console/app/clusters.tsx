/**
 * AWS CloudHSM clusters: state, HSMs and Availability Zones, certificates, backups; create
 * (also from a backup), add/remove HSMs, initialize; HSM users through kmsd's HSM management
 * service (the console's counterpart of the CloudHSM CLI).
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { call, listAll } from './api';
import type { JsonObject } from './api';
import { ActionStatus, Dialog, ErrorAlert, FormButtons, Progress, TableHead, formatDate, readFileInto, useAction, useLoad } from './ui';

export interface Hsm {
  HsmId: string;
  AvailabilityZone?: string;
  SubnetId?: string;
  EniIp?: string;
  State?: string;
}
export interface Cluster {
  ClusterId: string;
  State?: string;
  StateMessage?: string;
  HsmType?: string;
  Hsms?: Hsm[];
  SubnetMapping?: Record<string, string>;
  SourceBackupId?: string;
  CreateTimestamp?: number;
  Certificates?: { ClusterCsr?: string; ClusterCertificate?: string; HsmCertificate?: string };
}
interface Backup {
  BackupId: string;
  BackupState?: string;
  ClusterId?: string;
  CreateTimestamp?: number;
  SourceBackup?: string;
}
interface HsmUser {
  Username: string;
  Role?: string;
  LockedOut?: boolean;
  LoggedIn?: boolean;
}

export function describeClusters(region: string): Promise<Cluster[]> {
  return listAll<Cluster>('cloudhsm', 'DescribeClusters', {}, 'Clusters', region);
}

function describeBackups(region: string, filters: JsonObject): Promise<Backup[]> {
  return listAll<Backup>('cloudhsm', 'DescribeBackups', { Filters: filters }, 'Backups', region);
}

const TRANSITIONAL = /IN_PROGRESS|PENDING/;

export function ClustersPage(props: { region: string }) {
  const clusters = useLoad(() => describeClusters(props.region), [props.region]);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [creating, setCreating] = useState(false);
  const cluster = clusters.data?.find((c) => c.ClusterId === selected);
  return (
    <section aria-labelledby="clusters-title">
      <div className="page-head">
        <h1 id="clusters-title">AWS CloudHSM clusters</h1>
        <div className="actions">
          <button type="button" onClick={clusters.reload} aria-label="Refresh clusters">
            Refresh
          </button>
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            Create cluster
          </button>
        </div>
      </div>
      {clusters.error !== undefined && <ErrorAlert error={clusters.error} title="Could not list the clusters" />}
      {clusters.loading && !clusters.data && <Progress label="Loading clusters…" />}
      {clusters.data && (
        <table aria-label="AWS CloudHSM clusters">
          <TableHead columns={['Cluster ID', 'State', 'HSMs (Availability Zones)', 'HSM type', 'Source backup', 'Created']} select />
          <tbody>
            {clusters.data.length === 0 && (
              <tr>
                <td colSpan={7} className="muted">
                  No clusters in {props.region}.
                </td>
              </tr>
            )}
            {clusters.data.map((c) => (
              <tr key={c.ClusterId} className={c.ClusterId === selected ? 'selected' : undefined}>
                <td>
                  <input
                    type="radio"
                    name="cluster"
                    aria-label={`Select ${c.ClusterId}`}
                    checked={c.ClusterId === selected}
                    onChange={() => setSelected(c.ClusterId)}
                  />
                </td>
                <td>
                  <code>{c.ClusterId}</code>
                </td>
                <td>
                  <span className={`status status-${(c.State ?? '').toLowerCase()}`}>{c.State}</span>
                  {c.StateMessage && <div className="muted">{c.StateMessage}</div>}
                </td>
                <td>
                  {(c.Hsms ?? []).length} ({[...new Set((c.Hsms ?? []).map((h) => h.AvailabilityZone))].join(', ') || 'none'})
                </td>
                <td>{c.HsmType}</td>
                <td>{c.SourceBackupId ?? '—'}</td>
                <td className="nowrap">{formatDate(c.CreateTimestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cluster && <ClusterDetails key={cluster.ClusterId} region={props.region} cluster={cluster} reload={clusters.reload} />}
      {creating && (
        <CreateCluster
          region={props.region}
          onClose={() => setCreating(false)}
          onCreated={(id) => {
            setCreating(false);
            setSelected(id);
            clusters.reload();
          }}
        />
      )}
    </section>
  );
}

function CreateCluster(props: { region: string; onClose: () => void; onCreated: (id: string) => void }) {
  const backups = useLoad(() => describeBackups(props.region, {}), [props.region]);
  const [hsmType, setHsmType] = useState('hsm2m.medium');
  const [subnets, setSubnets] = useState('');
  const [backupId, setBackupId] = useState('');
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    await action.run('Creating the cluster…', async () => {
      const input: JsonObject = {
        HsmType: hsmType,
        SubnetIds: subnets
          .split(/[\s,]+/)
          .map((s) => s.trim())
          .filter(Boolean),
      };
      if (backupId) input.SourceBackupId = backupId;
      const out = await call<{ Cluster?: Cluster }>('cloudhsm', 'CreateCluster', input, props.region);
      props.onCreated(out.Cluster?.ClusterId ?? '');
    });
  };
  return (
    <Dialog title="Create cluster" onClose={props.onClose}>
      <form className="form" onSubmit={submit}>
        <label>
          HSM type
          <select value={hsmType} onChange={(e) => setHsmType(e.target.value)}>
            <option>hsm2m.medium</option>
            <option>hsm1.medium</option>
          </select>
        </label>
        <label>
          Subnet IDs (one per Availability Zone, separated by commas)
          <input value={subnets} onChange={(e) => setSubnets(e.target.value)} required placeholder="subnet-0123456789abcdef0, subnet-…" />
        </label>
        <label>
          Create from backup (optional)
          <select value={backupId} onChange={(e) => setBackupId(e.target.value)}>
            <option value="">No backup: a new, uninitialized cluster</option>
            {(backups.data ?? []).map((b) => (
              <option key={b.BackupId} value={b.BackupId}>
                {b.BackupId} of {b.ClusterId} ({b.BackupState}, {formatDate(b.CreateTimestamp)})
              </option>
            ))}
          </select>
        </label>
        {backups.error !== undefined && <ErrorAlert error={backups.error} title="Could not list the backups" />}
        <ActionStatus action={action} />
        <FormButtons submit="Create cluster" onCancel={props.onClose} busy={action.busy !== undefined} />
      </form>
    </Dialog>
  );
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-pem-file' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

function ClusterDetails(props: { region: string; cluster: Cluster; reload: () => void }) {
  const { region, cluster } = props;
  const action = useAction();
  const [az, setAz] = useState(Object.keys(cluster.SubnetMapping ?? {})[0] ?? '');
  const [signedCert, setSignedCert] = useState('');
  const [trustAnchor, setTrustAnchor] = useState('');
  const backups = useLoad(() => describeBackups(region, { clusterIds: [cluster.ClusterId] }), [region, cluster.ClusterId]);
  const act = async (label: string, service: 'cloudhsm' | 'hsm', operation: string, input: JsonObject, done: string) => {
    await action.run(
      label,
      async () => {
        await call(service, operation, { ClusterId: cluster.ClusterId, ...input }, region);
      },
      done,
    );
    props.reload();
  };
  const transitional = TRANSITIONAL.test(cluster.State ?? '') || (cluster.Hsms ?? []).some((h) => TRANSITIONAL.test(h.State ?? ''));
  return (
    <section className="details" aria-label={`Cluster ${cluster.ClusterId}`}>
      <h2>Cluster {cluster.ClusterId}</h2>
      <ActionStatus action={action} />
      {transitional && <p className="muted">A change is in progress: choose Refresh to see the new state.</p>}
      <div className="grid2">
        <section className="card" aria-label="HSMs">
          <h3>HSMs</h3>
          <table aria-label="HSMs">
            <TableHead columns={['HSM ID', 'Availability Zone', 'IP address', 'State']} actions />
            <tbody>
              {(cluster.Hsms ?? []).map((h) => (
                <tr key={h.HsmId}>
                  <td>
                    <code>{h.HsmId}</code>
                  </td>
                  <td>{h.AvailabilityZone}</td>
                  <td>{h.EniIp ?? '—'}</td>
                  <td>{h.State}</td>
                  <td className="cell-actions">
                    <button
                      type="button"
                      className="danger small"
                      aria-label={`Remove HSM ${h.HsmId}`}
                      onClick={() => act('Removing the HSM…', 'cloudhsm', 'DeleteHsm', { HsmId: h.HsmId }, `Removing HSM ${h.HsmId}.`)}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="inline-form">
            <label>
              Availability Zone
              <select value={az} onChange={(e) => setAz(e.target.value)}>
                {Object.entries(cluster.SubnetMapping ?? {}).map(([zone, subnet]) => (
                  <option key={zone} value={zone}>
                    {zone} ({subnet})
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              onClick={() => act('Adding an HSM…', 'cloudhsm', 'CreateHsm', { AvailabilityZone: az }, `Adding an HSM in ${az}.`)}
              disabled={!az}
            >
              Add HSM
            </button>
          </div>
        </section>
        <section className="card" aria-label="Certificates and initialization">
          <h3>Certificates</h3>
          {cluster.Certificates?.ClusterCsr && (
            <p>
              <button type="button" onClick={() => download(`${cluster.ClusterId}_ClusterCsr.csr`, cluster.Certificates?.ClusterCsr ?? '')}>
                Download cluster CSR
              </button>
            </p>
          )}
          {cluster.Certificates?.ClusterCertificate ? (
            <p>
              The cluster certificate is signed: the cluster is initialized.{' '}
              <button
                type="button"
                onClick={() => download(`${cluster.ClusterId}_cluster.crt`, cluster.Certificates?.ClusterCertificate ?? '')}
              >
                Download cluster certificate
              </button>
            </p>
          ) : (
            !cluster.Certificates?.ClusterCsr && <p className="muted">No CSR yet: it appears when the first HSM of a new cluster is up.</p>
          )}
          {cluster.State === 'UNINITIALIZED' && (
            <form
              className="form"
              onSubmit={(e) => {
                e.preventDefault();
                void act(
                  'Initializing the cluster…',
                  'cloudhsm',
                  'InitializeCluster',
                  { SignedCert: signedCert, TrustAnchor: trustAnchor },
                  'Initializing the cluster.',
                );
              }}
            >
              <label>
                Signed cluster certificate (PEM)
                <textarea rows={4} value={signedCert} onChange={(e) => setSignedCert(e.target.value)} required />
              </label>
              <label>
                Upload signed cluster certificate
                <input type="file" accept=".crt,.pem" onChange={readFileInto(setSignedCert)} />
              </label>
              <label>
                Trust anchor: issuing CA certificate (PEM)
                <textarea rows={4} value={trustAnchor} onChange={(e) => setTrustAnchor(e.target.value)} required />
              </label>
              <label>
                Upload trust anchor certificate
                <input type="file" accept=".crt,.pem" onChange={readFileInto(setTrustAnchor)} />
              </label>
              <button type="submit" className="primary">
                Initialize cluster
              </button>
            </form>
          )}
        </section>
        <section className="card" aria-label="Backups">
          <h3>Backups</h3>
          {backups.error !== undefined && <ErrorAlert error={backups.error} title="Could not list the backups" />}
          {backups.data && backups.data.length === 0 && <p className="muted">No backups.</p>}
          {backups.data && backups.data.length > 0 && (
            <ul>
              {backups.data.map((b) => (
                <li key={b.BackupId}>
                  <code>{b.BackupId}</code> {b.BackupState} {formatDate(b.CreateTimestamp)}
                </li>
              ))}
            </ul>
          )}
        </section>
        <HsmUsers region={region} cluster={cluster} onChanged={props.reload} />
      </div>
      <p>
        <button
          type="button"
          className="danger"
          onClick={() => act('Deleting the cluster…', 'cloudhsm', 'DeleteCluster', {}, `Deleting cluster ${cluster.ClusterId}.`)}
        >
          Delete cluster
        </button>
      </p>
    </section>
  );
}

/**
 * Users inside the HSMs, through kmsd's HSM management service (target KmsdHsmManagement),
 * the console's counterpart of the CloudHSM CLI. Like the CLI, every user operation is made as
 * an admin: the admin password stays in this component's memory only.
 */
function HsmUsers(props: { region: string; cluster: Cluster; onChanged: () => void }) {
  const { region, cluster } = props;
  const [admin, setAdmin] = useState<{ username: string; password: string } | undefined>(undefined);
  const [adminName, setAdminName] = useState('admin');
  const [adminPassword, setAdminPassword] = useState('');
  const users = useLoad(
    async () =>
      admin
        ? ((
            await call<{ Users?: HsmUser[] }>(
              'hsm',
              'ListUsers',
              { ClusterId: cluster.ClusterId, AdminUsername: admin.username, AdminPassword: admin.password },
              region,
            )
          ).Users ?? [])
        : undefined,
    [region, cluster.ClusterId, admin],
  );
  const action = useAction();
  const [dialog, setDialog] = useState<undefined | { kind: 'activate' | 'create' | 'password'; user?: HsmUser }>(undefined);
  const [username, setUsername] = useState('kmsuser');
  const [password, setPassword] = useState('');
  const run = async (label: string, operation: string, input: JsonObject, done: string) => {
    const credentials: JsonObject = admin ? { AdminUsername: admin.username, AdminPassword: admin.password } : {};
    await action.run(
      label,
      async () => {
        await call('hsm', operation, { ClusterId: cluster.ClusterId, ...credentials, ...input }, region);
      },
      done,
    );
    setPassword('');
    users.reload();
    props.onChanged();
  };
  const open = (kind: 'activate' | 'create' | 'password', user?: HsmUser) => {
    setPassword('');
    setDialog({ kind, user });
  };
  const submitDialog = (e: FormEvent) => {
    e.preventDefault();
    if (!dialog) return;
    setDialog(undefined);
    if (dialog.kind === 'activate') {
      void run(
        'Activating…',
        'ActivateCluster',
        { AdminPassword: password },
        'The cluster is activated; sign in as admin with the new password.',
      );
    } else if (dialog.kind === 'create') {
      void run(
        'Creating the user…',
        'CreateUser',
        { Username: username, Role: 'crypto-user', Password: password },
        `Created crypto user ${username}.`,
      );
    } else if (dialog.user) {
      const u = dialog.user;
      void run(
        'Setting the password…',
        'ChangePassword',
        { Username: u.Username, Role: u.Role ?? 'crypto-user', Password: password },
        `Set a new password for ${u.Username}${u.LockedOut ? '; the user is unlocked' : ''}.`,
      );
    }
  };
  return (
    <section className="card" aria-label="HSM users">
      <h3>HSM users</h3>
      <ActionStatus action={action} />
      {cluster.State === 'INITIALIZED' && (
        <p>
          The cluster is initialized but not active yet: activate it by giving the admin a password.{' '}
          <button type="button" onClick={() => open('activate')}>
            Activate cluster
          </button>
        </p>
      )}
      {!admin ? (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            setAdmin({ username: adminName, password: adminPassword });
            setAdminPassword('');
          }}
        >
          <label>
            Admin user name
            <input value={adminName} onChange={(e) => setAdminName(e.target.value)} required />
          </label>
          <label>
            Admin password
            <input type="password" value={adminPassword} onChange={(e) => setAdminPassword(e.target.value)} autoComplete="off" required />
          </label>
          <button type="submit">Show users</button>
        </form>
      ) : (
        <p className="muted">
          Working as {admin.username}.{' '}
          <button type="button" className="small" onClick={() => setAdmin(undefined)}>
            Forget admin password
          </button>
        </p>
      )}
      {users.error !== undefined && <ErrorAlert error={users.error} title="Could not list the HSM users" />}
      {users.data && (
        <table aria-label="HSM users">
          <TableHead columns={['User', 'Role', 'Locked out', 'Logged in']} actions />
          <tbody>
            {users.data.map((u) => (
              <tr key={u.Username}>
                <td>{u.Username}</td>
                <td>{u.Role}</td>
                <td>{u.LockedOut ? 'Yes' : 'No'}</td>
                <td>{u.LoggedIn ? 'Yes' : 'No'}</td>
                <td className="cell-actions">
                  <button
                    type="button"
                    className="small"
                    aria-label={`${u.LockedOut ? 'Unlock' : 'Change password of'} ${u.Username}`}
                    onClick={() => open('password', u)}
                  >
                    {u.LockedOut ? 'Unlock' : 'Password'}
                  </button>
                  {u.Role !== 'admin' && (
                    <button
                      type="button"
                      className="small danger"
                      aria-label={`Delete ${u.Username}`}
                      onClick={() =>
                        void run(
                          'Deleting the user…',
                          'DeleteUser',
                          { Username: u.Username, Role: u.Role ?? 'crypto-user' },
                          `Deleted ${u.Username}.`,
                        )
                      }
                    >
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {admin && (
        <div className="actions">
          <button type="button" onClick={() => open('create')}>
            Create user
          </button>
        </div>
      )}
      {dialog && (
        <Dialog
          title={
            dialog.kind === 'activate'
              ? 'Activate cluster'
              : dialog.kind === 'create'
                ? 'Create HSM user'
                : `Set password of ${dialog.user?.Username ?? ''}`
          }
          onClose={() => setDialog(undefined)}
        >
          <form className="form" onSubmit={submitDialog}>
            {dialog.kind === 'create' && (
              <label>
                User name (crypto user)
                <input value={username} onChange={(e) => setUsername(e.target.value)} required />
              </label>
            )}
            <label>
              {dialog.kind === 'activate' ? 'New admin password' : 'New password'}
              <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" required />
            </label>
            <FormButtons
              submit={dialog.kind === 'activate' ? 'Activate' : dialog.kind === 'create' ? 'Create user' : 'Set password'}
              onCancel={() => setDialog(undefined)}
            />
          </form>
        </Dialog>
      )}
    </section>
  );
}
