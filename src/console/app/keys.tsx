/** Customer managed keys: list, create (also in a custom key store), details and key state actions. */
import { useState } from 'react';
import type { FormEvent, ReactNode } from 'react';
import { call, listAll } from './api';
import type { JsonObject } from './api';
import { describeKeyStores } from './keystores';
import { ActionStatus, Dialog, ErrorAlert, FormButtons, Link, Progress, TableHead, formatDate, navigate, useAction, useLoad } from './ui';

interface KeyMetadata {
  KeyId: string;
  Arn?: string;
  KeyState?: string;
  KeySpec?: string;
  KeyUsage?: string;
  KeyManager?: string;
  Origin?: string;
  Description?: string;
  CreationDate?: number;
  DeletionDate?: number;
  CustomKeyStoreId?: string;
  CloudHsmClusterId?: string;
  Enabled?: boolean;
  MultiRegion?: boolean;
}
interface AliasEntry {
  AliasName: string;
  TargetKeyId?: string;
}
interface KeyRow {
  meta?: KeyMetadata;
  keyId: string;
  error?: unknown;
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function KeysPage(props: { region: string; rest: string[] }) {
  if (props.rest[0] === 'create') return <CreateKey region={props.region} />;
  if (props.rest[0]) return <KeyDetails region={props.region} keyId={decodeURIComponent(props.rest[0])} />;
  return <KeyList region={props.region} />;
}

function KeyList(props: { region: string }) {
  const keys = useLoad(async () => {
    const entries = await listAll<{ KeyId: string }>('kms', 'ListKeys', {}, 'Keys', props.region);
    return Promise.all(
      entries.map(async (k): Promise<KeyRow> => {
        try {
          const d = await call<{ KeyMetadata: KeyMetadata }>('kms', 'DescribeKey', { KeyId: k.KeyId }, props.region);
          return { keyId: k.KeyId, meta: d.KeyMetadata };
        } catch (error) {
          return { keyId: k.KeyId, error };
        }
      }),
    );
  }, [props.region]);
  const aliases = useLoad(() => listAll<AliasEntry>('kms', 'ListAliases', {}, 'Aliases', props.region), [props.region]);
  const customer = (keys.data ?? []).filter((k) => k.meta?.KeyManager !== 'AWS');
  return (
    <section aria-labelledby="keys-title">
      <div className="page-head">
        <h1 id="keys-title">Customer managed keys</h1>
        <div className="actions">
          <button type="button" onClick={keys.reload} aria-label="Refresh keys">
            Refresh
          </button>
          <button type="button" className="primary" onClick={() => navigate('/keys/create')}>
            Create key
          </button>
        </div>
      </div>
      {keys.error !== undefined && <ErrorAlert error={keys.error} title="Could not list the keys" />}
      {aliases.error !== undefined && <ErrorAlert error={aliases.error} title="Could not list the aliases" />}
      {keys.loading && !keys.data && <Progress label="Loading keys…" />}
      {keys.data && (
        <table aria-label="Customer managed keys">
          <TableHead columns={['Aliases', 'Key ID', 'Status', 'Key spec', 'Key store']} />
          <tbody>
            {customer.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  No customer managed keys in {props.region}.
                </td>
              </tr>
            )}
            {customer.map((k) => (
              <tr key={k.keyId}>
                <td>
                  {(aliases.data ?? [])
                    .filter((a) => a.TargetKeyId === k.keyId)
                    .map((a) => a.AliasName.replace(/^alias\//, ''))
                    .join(', ') || '—'}
                </td>
                <td>
                  <Link to={`/keys/${k.keyId}`}>
                    <code>{k.keyId}</code>
                  </Link>
                </td>
                <td>
                  {k.meta ? <span className={`status status-${(k.meta.KeyState ?? '').toLowerCase()}`}>{k.meta.KeyState}</span> : 'Error'}
                </td>
                <td>{k.meta?.KeySpec ?? '—'}</td>
                <td>{k.meta ? (k.meta.CustomKeyStoreId ?? 'AWS KMS') : <ErrorAlert error={k.error} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const KEY_SPECS = [
  'SYMMETRIC_DEFAULT',
  'HMAC_224',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'ECC_NIST_EDWARDS25519',
  'ML_DSA_44',
  'ML_DSA_65',
  'ML_DSA_87',
  'SM2', // China Regions only
];
const USAGES = ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'];

function CreateKey(props: { region: string }) {
  const stores = useLoad(() => describeKeyStores(props.region), [props.region]);
  const [alias, setAlias] = useState('');
  const [description, setDescription] = useState('');
  const [keySpec, setKeySpec] = useState('SYMMETRIC_DEFAULT');
  const [usage, setUsage] = useState('ENCRYPT_DECRYPT');
  const [storeId, setStoreId] = useState('');
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    await action.run('Creating the key…', async () => {
      const input: JsonObject = { KeySpec: keySpec, KeyUsage: usage };
      if (description) input.Description = description;
      if (storeId) {
        input.Origin = 'AWS_CLOUDHSM';
        input.CustomKeyStoreId = storeId;
      }
      const { KeyMetadata } = await call<{ KeyMetadata: KeyMetadata }>('kms', 'CreateKey', input, props.region);
      if (alias) await call('kms', 'CreateAlias', { AliasName: `alias/${alias}`, TargetKeyId: KeyMetadata.KeyId }, props.region);
      navigate(`/keys/${KeyMetadata.KeyId}`);
    });
  };
  return (
    <section aria-labelledby="create-key-title">
      <h1 id="create-key-title">Create key</h1>
      <form className="form" onSubmit={submit}>
        <label>
          Alias (optional, without "alias/")
          <input value={alias} onChange={(e) => setAlias(e.target.value)} />
        </label>
        <label>
          Description
          <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <label>
          Key spec
          <select value={keySpec} onChange={(e) => setKeySpec(e.target.value)}>
            {KEY_SPECS.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Key usage
          <select value={usage} onChange={(e) => setUsage(e.target.value)}>
            {USAGES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Key store
          <select value={storeId} onChange={(e) => setStoreId(e.target.value)}>
            <option value="">AWS KMS (key material generated by kmsd)</option>
            {(stores.data ?? []).map((s) => (
              <option key={s.CustomKeyStoreId} value={s.CustomKeyStoreId}>
                Custom key store {s.CustomKeyStoreName} ({s.CustomKeyStoreId}, {s.ConnectionState})
              </option>
            ))}
          </select>
        </label>
        {stores.error !== undefined && <ErrorAlert error={stores.error} title="Could not list the custom key stores" />}
        <ActionStatus action={action} />
        <FormButtons submit="Create key" onCancel={() => navigate('/keys')} busy={action.busy !== undefined} />
      </form>
    </section>
  );
}

/** One section of the details page that loads on its own and shows its own error. */
function Part<T>(props: { title: string; load: () => Promise<T>; deps: unknown[]; render: (data: T) => ReactNode }) {
  const data = useLoad(props.load, props.deps);
  return (
    <section className="card" aria-label={props.title}>
      <h2>{props.title}</h2>
      {data.loading && data.data === undefined && <Progress label={`Loading ${props.title.toLowerCase()}…`} />}
      {data.error !== undefined && <ErrorAlert error={data.error} title={`Could not load ${props.title.toLowerCase()}`} />}
      {data.data !== undefined && props.render(data.data)}
    </section>
  );
}

function KeyDetails(props: { region: string; keyId: string }) {
  const { region, keyId } = props;
  const meta = useLoad(
    async () => (await call<{ KeyMetadata: KeyMetadata }>('kms', 'DescribeKey', { KeyId: keyId }, region)).KeyMetadata,
    [region, keyId],
  );
  const action = useAction();
  const [scheduling, setScheduling] = useState(false);
  const [days, setDays] = useState(30);
  const m = meta.data;
  const act = async (label: string, operation: string, input: JsonObject, done: string) => {
    await action.run(
      label,
      async () => {
        await call('kms', operation, { KeyId: keyId, ...input }, region);
      },
      done,
    );
    meta.reload();
  };
  return (
    <section aria-labelledby="key-title">
      <div className="page-head">
        <h1 id="key-title">
          Key <code className="title-id">{keyId}</code>
        </h1>
        <div className="actions">
          <button type="button" onClick={() => navigate('/keys')}>
            Back to keys
          </button>
          <button
            type="button"
            onClick={() => act('Enabling…', 'EnableKey', {}, 'The key is enabled.')}
            disabled={!m || m.KeyState === 'Enabled'}
          >
            Enable key
          </button>
          <button
            type="button"
            onClick={() => act('Disabling…', 'DisableKey', {}, 'The key is disabled.')}
            disabled={!m || m.KeyState !== 'Enabled'}
          >
            Disable key
          </button>
          {m?.KeyState === 'PendingDeletion' ? (
            <button
              type="button"
              onClick={() => act('Cancelling deletion…', 'CancelKeyDeletion', {}, 'Key deletion is cancelled; the key is disabled.')}
            >
              Cancel key deletion
            </button>
          ) : (
            <button type="button" className="danger" onClick={() => setScheduling(true)} disabled={!m}>
              Schedule key deletion
            </button>
          )}
        </div>
      </div>
      <ActionStatus action={action} />
      {meta.error !== undefined && <ErrorAlert error={meta.error} title="Could not describe the key" />}
      {m && (
        <section className="card" aria-label="General configuration">
          <h2>General configuration</h2>
          <dl className="props">
            <dt>ARN</dt>
            <dd>
              <code>{m.Arn}</code>
            </dd>
            <dt>Status</dt>
            <dd>
              <span className={`status status-${(m.KeyState ?? '').toLowerCase()}`} data-testid="key-state">
                {m.KeyState}
              </span>
              {m.DeletionDate !== undefined && ` (deletion on ${formatDate(m.DeletionDate)})`}
            </dd>
            <dt>Description</dt>
            <dd>{m.Description || '—'}</dd>
            <dt>Key spec / usage</dt>
            <dd>
              {m.KeySpec} / {m.KeyUsage}
            </dd>
            <dt>Origin</dt>
            <dd>{m.Origin}</dd>
            <dt>Key store</dt>
            <dd>{m.CustomKeyStoreId ? `${m.CustomKeyStoreId} (cluster ${m.CloudHsmClusterId ?? '?'})` : 'AWS KMS'}</dd>
            <dt>Created</dt>
            <dd>{formatDate(m.CreationDate)}</dd>
          </dl>
        </section>
      )}
      <div className="grid2">
        <Part
          title="Aliases"
          deps={[region, keyId]}
          load={() => listAll<AliasEntry>('kms', 'ListAliases', { KeyId: keyId }, 'Aliases', region)}
          render={(a) =>
            a.length ? (
              <ul>
                {a.map((x) => (
                  <li key={x.AliasName}>{x.AliasName}</li>
                ))}
              </ul>
            ) : (
              <p className="muted">No aliases.</p>
            )
          }
        />
        <Part
          title="Tags"
          deps={[region, keyId]}
          load={() => listAll<{ TagKey: string; TagValue: string }>('kms', 'ListResourceTags', { KeyId: keyId }, 'Tags', region)}
          render={(t) =>
            t.length ? (
              <ul>
                {t.map((x) => (
                  <li key={x.TagKey}>
                    {x.TagKey} = {x.TagValue}
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted">No tags.</p>
            )
          }
        />
        <Part
          title="Key rotation"
          deps={[region, keyId]}
          load={() =>
            call<{ KeyRotationEnabled?: boolean; RotationPeriodInDays?: number; NextRotationDate?: number }>(
              'kms',
              'GetKeyRotationStatus',
              { KeyId: keyId },
              region,
            )
          }
          render={(r) => (
            <p>
              Automatic rotation{' '}
              {r.KeyRotationEnabled
                ? `enabled, every ${r.RotationPeriodInDays ?? 365} days (next ${formatDate(r.NextRotationDate)})`
                : 'disabled'}
              .
            </p>
          )}
        />
        <Part
          title="Key policy"
          deps={[region, keyId]}
          load={() => call<{ Policy?: string }>('kms', 'GetKeyPolicy', { KeyId: keyId, PolicyName: 'default' }, region)}
          render={(p) => <pre className="policy">{p.Policy ? prettyJson(p.Policy) : '—'}</pre>}
        />
      </div>
      {scheduling && (
        <Dialog title="Schedule key deletion" onClose={() => setScheduling(false)}>
          <p>After the waiting period the key and its material are deleted and data encrypted under it can no longer be decrypted.</p>
          <label>
            Waiting period (7–30 days)
            <input type="number" min={7} max={30} value={days} onChange={(e) => setDays(Number(e.target.value))} />
          </label>
          <div className="actions">
            <button type="button" onClick={() => setScheduling(false)}>
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              onClick={() => {
                setScheduling(false);
                void act(
                  'Scheduling deletion…',
                  'ScheduleKeyDeletion',
                  { PendingWindowInDays: days },
                  `Deletion scheduled in ${days} days.`,
                );
              }}
            >
              Schedule deletion
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
