/**
 * External key stores (EXTERNAL_KEY_STORE) in the console: the XKS proxy fields of the create
 * form, and the edit form. As in the AWS console, the proxy credential's secret access key is
 * typed into a password field, sent once, and never shown again (DescribeCustomKeyStores
 * never returns it). Which settings may change in which state follows UpdateCustomKeyStore:
 * name, path and credential while CONNECTED or DISCONNECTED; the rest only while DISCONNECTED.
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { call } from './api';
import type { JsonObject } from './api';
import { ActionStatus, FormButtons, navigate, useAction } from './ui';
import { KeyStoreSavedAlert } from './keystore-saved-alert';

export interface XksProxyConfiguration {
  Connectivity?: string;
  AccessKeyId?: string;
  UriEndpoint?: string;
  UriPath?: string;
  VpcEndpointServiceName?: string;
  VpcEndpointServiceOwner?: string;
}

export interface XksSettings {
  connectivity: string;
  uriEndpoint: string;
  uriPath: string;
  vpcEndpointServiceName: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export const NEW_XKS_SETTINGS: XksSettings = {
  connectivity: 'PUBLIC_ENDPOINT',
  uriEndpoint: 'https://',
  uriPath: '/kms/xks/v1',
  vpcEndpointServiceName: '',
  accessKeyId: '',
  secretAccessKey: '',
};

/** The CreateCustomKeyStore members of an external key store. */
export function createXksInput(s: XksSettings): JsonObject {
  const input: JsonObject = {
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    XksProxyConnectivity: s.connectivity,
    XksProxyUriEndpoint: s.uriEndpoint,
    XksProxyUriPath: s.uriPath,
    XksProxyAuthenticationCredential: { AccessKeyId: s.accessKeyId, RawSecretAccessKey: s.secretAccessKey },
  };
  if (s.connectivity === 'VPC_ENDPOINT_SERVICE') input.XksProxyVpcEndpointServiceName = s.vpcEndpointServiceName;
  return input;
}

/**
 * The proxy fields. `locked` disables those that need a DISCONNECTED store; the secret is
 * required only when `secretRequired` (create), otherwise empty means "keep the credential".
 */
export function XksFields(props: { value: XksSettings; onChange: (s: XksSettings) => void; locked?: boolean; secretRequired: boolean }) {
  const { value, locked } = props;
  const set = (patch: Partial<XksSettings>) => props.onChange({ ...value, ...patch });
  return (
    <>
      <label>
        Proxy connectivity
        <select value={value.connectivity} onChange={(e) => set({ connectivity: e.target.value })} disabled={locked}>
          <option value="PUBLIC_ENDPOINT">Public endpoint</option>
          <option value="VPC_ENDPOINT_SERVICE">VPC endpoint service</option>
        </select>
      </label>
      <label>
        Proxy URI endpoint
        <input
          value={value.uriEndpoint}
          onChange={(e) => set({ uriEndpoint: e.target.value })}
          disabled={locked}
          required
          pattern="https://[a-zA-Z0-9.\-]+"
          title="https:// followed by a host name, without a port or path"
        />
      </label>
      {value.connectivity === 'VPC_ENDPOINT_SERVICE' && (
        <label>
          VPC endpoint service name
          <input
            value={value.vpcEndpointServiceName}
            onChange={(e) => set({ vpcEndpointServiceName: e.target.value })}
            disabled={locked}
            required
            placeholder="com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"
          />
        </label>
      )}
      <p className="muted">kmsd has no VPC: a VPC endpoint service is recorded, and the proxy is reached at the URI endpoint.</p>
      <label>
        Proxy URI path
        <input value={value.uriPath} onChange={(e) => set({ uriPath: e.target.value })} required maxLength={128} />
      </label>
      <label>
        Proxy credential: access key ID
        <input value={value.accessKeyId} onChange={(e) => set({ accessKeyId: e.target.value })} required autoComplete="off" />
      </label>
      <label>
        Proxy credential: secret access key
        <input
          type="password"
          value={value.secretAccessKey}
          onChange={(e) => set({ secretAccessKey: e.target.value })}
          required={props.secretRequired}
          autoComplete="new-password"
          placeholder={props.secretRequired ? undefined : 'Leave empty to keep the credential KMS has'}
        />
      </label>
    </>
  );
}

function settingsOf(config: XksProxyConfiguration | undefined): XksSettings {
  return {
    connectivity: config?.Connectivity ?? 'PUBLIC_ENDPOINT',
    uriEndpoint: config?.UriEndpoint ?? '',
    uriPath: config?.UriPath ?? '',
    vpcEndpointServiceName: config?.VpcEndpointServiceName ?? '',
    accessKeyId: config?.AccessKeyId ?? '',
    secretAccessKey: '',
  };
}

/** UpdateCustomKeyStore members for what changed, and a list of the changes for the message. */
function updateInput(before: XksSettings, after: XksSettings): { input: JsonObject; edited: string[] } {
  const input: JsonObject = {};
  const edited: string[] = [];
  if (after.connectivity !== before.connectivity) {
    input.XksProxyConnectivity = after.connectivity;
    edited.push('proxy connectivity');
  }
  if (after.uriEndpoint !== before.uriEndpoint) {
    input.XksProxyUriEndpoint = after.uriEndpoint;
    edited.push('proxy URI endpoint');
  }
  const service = after.connectivity === 'VPC_ENDPOINT_SERVICE' ? after.vpcEndpointServiceName : '';
  if (service !== (before.connectivity === 'VPC_ENDPOINT_SERVICE' ? before.vpcEndpointServiceName : '') && service) {
    input.XksProxyVpcEndpointServiceName = service;
    edited.push('VPC endpoint service name');
  }
  if (after.uriPath !== before.uriPath) {
    input.XksProxyUriPath = after.uriPath;
    edited.push('proxy URI path');
  }
  // AWS needs both members of the credential, even when only one changes.
  if (after.secretAccessKey || after.accessKeyId !== before.accessKeyId) {
    input.XksProxyAuthenticationCredential = { AccessKeyId: after.accessKeyId, RawSecretAccessKey: after.secretAccessKey };
    edited.push('proxy credential');
  }
  return { input, edited };
}

export function EditExternalKeyStore(props: {
  region: string;
  store: { CustomKeyStoreId: string; CustomKeyStoreName: string; ConnectionState: string; XksProxyConfiguration?: XksProxyConfiguration };
  reload: () => void;
}) {
  const { store } = props;
  const before = settingsOf(store.XksProxyConfiguration);
  const [name, setName] = useState(store.CustomKeyStoreName);
  const [settings, setSettings] = useState<XksSettings>(before);
  const [saved, setSaved] = useState<string[] | undefined>(undefined);
  const action = useAction();
  const state = store.ConnectionState;
  const disconnected = state === 'DISCONNECTED';
  const editable = disconnected || state === 'CONNECTED';

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(undefined);
    const { input, edited } = updateInput(before, settings);
    if (name !== store.CustomKeyStoreName) {
      input.NewCustomKeyStoreName = name;
      edited.unshift(`friendly name (now "${name}")`);
    }
    if (edited.length === 0) return setSaved([]);
    const ok = await action.run('Saving the settings…', async () => {
      await call('kms', 'UpdateCustomKeyStore', { CustomKeyStoreId: store.CustomKeyStoreId, ...input }, props.region);
    });
    if (ok) {
      setSaved(edited);
      // The secret leaves the page once sent.
      setSettings((s) => ({ ...s, secretAccessKey: '' }));
      props.reload();
    }
  };
  const run = (label: string, operation: string) =>
    action.run(label, async () => {
      await call('kms', operation, { CustomKeyStoreId: store.CustomKeyStoreId }, props.region);
      props.reload();
    });

  return (
    <>
      {!disconnected && (
        <div className="alert alert-info" role="note">
          <p>
            The proxy connectivity, URI endpoint and VPC endpoint service can only be changed while the key store is DISCONNECTED
            {editable ? '; the name, URI path and credential can be changed now.' : '.'}
          </p>
          {state !== 'DISCONNECTING' && (
            <button
              type="button"
              onClick={() => void run('Disconnecting…', 'DisconnectCustomKeyStore')}
              disabled={action.busy !== undefined}
            >
              Disconnect custom key store
            </button>
          )}
        </div>
      )}
      {saved && (
        <KeyStoreSavedAlert
          storeName={store.CustomKeyStoreName}
          edited={saved}
          connected={!disconnected}
          busy={action.busy !== undefined}
          onConnect={() => void run('Connecting…', 'ConnectCustomKeyStore')}
        />
      )}
      <form className="form" onSubmit={save}>
        <label>
          Custom key store name
          <input value={name} onChange={(e) => setName(e.target.value)} disabled={!editable} required maxLength={256} />
        </label>
        <fieldset disabled={!editable}>
          <XksFields value={settings} onChange={setSettings} locked={!disconnected} secretRequired={false} />
        </fieldset>
        <ActionStatus action={action} errorTitle="Saving failed" />
        <FormButtons
          submit="Save"
          onCancel={() => navigate('/keystores')}
          cancel="Back to custom key stores"
          busy={action.busy !== undefined}
        />
      </form>
    </>
  );
}
