/**
 * The web console end to end: its API (sign-in, cookie flags, CSRF, sign-out) over plain
 * HTTP, then the UI in headless Chromium. Every console action runs through the same
 * operation handlers as the SDK, so results are checked with @aws-sdk/client-kms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeKeyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { DescribeClustersCommand } from '@aws-sdk/client-cloudhsm-v2';
import { ConnectCustomKeyStoreCommand, CreateCustomKeyStoreCommand, DescribeCustomKeyStoresCommand } from '@aws-sdk/client-kms';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { DEV, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { ensureConsoleBuilt, launchBrowser } from './helpers/browser.js';
import type { TestBrowser } from './helpers/browser.js';
import { OpensslWorkspace } from './helpers/openssl.js';
import { backupNow, createKeyStoreCluster, resetKmsuserPassword, restoreCluster, SUBNETS as CLUSTER_SUBNETS } from './helpers/cluster.js';
import { defaultConfig } from '../src/config.js';
import type { Page } from 'playwright-core';
import { newXksCredential, startXksProxy } from './helpers/xks-proxy.js';
import type { TestXksProxy } from './helpers/xks-proxy.js';

let t: TestKmsd;
let b: TestBrowser;
/** The XKS proxy behind the external key store the console creates. */
let xksProxy: TestXksProxy;
const XKS_ENDPOINT = 'https://xks.example.com';

const SUBNETS = {
  'subnet-aaaa1111': 'us-east-1a',
  'subnet-bbbb2222': 'us-east-1b',
  [CLUSTER_SUBNETS[0]]: 'us-east-1a',
  [CLUSTER_SUBNETS[1]]: 'us-east-1b',
};
/** A second account, for the clusters page test (each account has its own HSM quota). */
const OPS = { accountId: '222233334444', accessKeyId: 'console-ops', secretAccessKey: 'console-ops-secret' };
const CONFIG = {
  ...defaultConfig(),
  accounts: [
    ...defaultConfig().accounts,
    { accountId: OPS.accountId, credentials: [{ accessKeyId: OPS.accessKeyId, secretAccessKey: OPS.secretAccessKey }] },
  ],
  subnets: SUBNETS,
  cloudhsm: { transitionMs: 0 },
};

async function signInTo(url: string): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const res = await fetch(`${url}/console/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ accessKeyId: DEV.accessKeyId, secretAccessKey: DEV.secretAccessKey }),
  });
  if (res.status !== 200) throw new Error(`console sign-in failed: ${res.status}`);
  const body = (await res.json()) as { csrfToken: string };
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { cookie: setCookie.split(';')[0], csrf: body.csrfToken, setCookie };
}

beforeAll(async () => {
  await ensureConsoleBuilt();
  xksProxy = await startXksProxy();
  // No periodic KmsHealthCheck: the test reads the proxy's latest call.
  t = await startKmsd({ config: CONFIG, xksHealthCheckIntervalMs: 0, xksProxyEndpoints: { [XKS_ENDPOINT]: xksProxy.url } });
  b = await launchBrowser();
});
afterAll(async () => {
  await b?.close();
  await t?.close();
});

async function signInUi(page: Page, who: { accessKeyId: string; secretAccessKey: string } = DEV): Promise<void> {
  await b.context.clearCookies();
  await page.goto(`${t.url}/console`);
  await page.getByLabel('Access key ID').fill(who.accessKeyId);
  await page.getByLabel('Secret access key').fill(who.secretAccessKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Customer managed keys' }).waitFor();
}

async function api(path: string, init: { method?: string; body?: unknown; cookie?: string; csrf?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (init.cookie) headers.Cookie = init.cookie;
  if (init.csrf) headers['X-Kmsd-Csrf-Token'] = init.csrf;
  const res = await fetch(`${t.url}/console/api/${path}`, {
    method: init.method ?? 'POST',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const signIn = () => signInTo(t.url);

describe('console API', () => {
  it('rejects a wrong secret and an unknown access key alike', async () => {
    for (const body of [
      { accessKeyId: DEV.accessKeyId, secretAccessKey: 'wrong' },
      { accessKeyId: 'AKIDNOSUCHKEY', secretAccessKey: DEV.secretAccessKey },
    ]) {
      const res = await api('session', { body });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ __type: 'InvalidCredentials', message: 'The access key ID or the secret access key is not correct.' });
      expect(res.headers.get('set-cookie')).toBeNull();
    }
  });

  it('pauses sign-in for an access key id after 5 wrong secrets in a row, even with the right one', async () => {
    // Its own kmsd, because moving the clock would put later CLI-signed requests out of skew.
    const own = await startKmsd({ config: CONFIG });
    try {
      const signIn = async (accessKeyId: string, secretAccessKey: string) => {
        const res = await fetch(`${own.url}/console/api/session`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ accessKeyId, secretAccessKey }),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      for (let i = 0; i < 5; i++) expect((await signIn(OPS.accessKeyId, `guess-${i}`)).status).toBe(401);
      const paused = await signIn(OPS.accessKeyId, OPS.secretAccessKey);
      expect(paused.status).toBe(429);
      expect(paused.body).toEqual({
        __type: 'TooManyFailedSignIns',
        message: 'Sign-in with this access key ID is paused after 5 failed attempts; try again in 5 minute(s).',
      });
      // Other access keys are not affected; after the pause the right secret works again.
      expect((await signIn(DEV.accessKeyId, DEV.secretAccessKey)).status).toBe(200);
      await own.advanceClock(5 * 60);
      expect((await signIn(OPS.accessKeyId, OPS.secretAccessKey)).status).toBe(200);
    } finally {
      await own.close();
    }
  });

  it('sets an HttpOnly, SameSite=Strict session cookie scoped to /console and no secret in the body', async () => {
    const { setCookie, csrf } = await signIn();
    expect(setCookie).toMatch(/^kmsd_console_session=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/console');
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a state-changing call without the CSRF token, and changes nothing', async () => {
    const { cookie, csrf } = await signIn();
    const kms = t.kms();
    const before = (await kms.send(new ListKeysCommand({}))).Keys?.length ?? 0;
    const call = { service: 'kms', operation: 'CreateKey', input: {}, region: 'us-east-1' };
    const missing = await api('call', { cookie, body: call });
    expect(missing.status).toBe(403);
    expect(missing.body).toEqual({ __type: 'InvalidCsrfToken', message: 'The request lacks a valid x-kmsd-csrf-token header.' });
    const wrong = await api('call', { cookie, csrf: `${csrf.slice(1)}x`, body: call });
    expect(wrong.status).toBe(403);
    expect((await kms.send(new ListKeysCommand({}))).Keys?.length ?? 0).toBe(before);

    const ok = await api('call', { cookie, csrf, body: call });
    expect(ok.status).toBe(200);
    const created = ok.body.KeyMetadata as { KeyId: string; Arn: string };
    expect(created.Arn).toBe(`arn:aws:kms:us-east-1:${DEV.accountId}:key/${created.KeyId}`);
  });

  it('runs calls through the model validation and the handler, with their errors', async () => {
    const { cookie, csrf } = await signIn();
    const invalid = await api('call', {
      cookie,
      csrf,
      body: { service: 'kms', operation: 'CreateKey', input: { KeyUsage: 'NOPE' }, region: 'eu-west-1' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.__type).toBe('ValidationException');
    expect(invalid.body.message).toBe(
      "1 validation error detected: Value 'NOPE' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: [ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT]",
    );
    const missing = await api('call', {
      cookie,
      csrf,
      body: { service: 'kms', operation: 'DescribeKey', input: { KeyId: 'alias/none' }, region: 'eu-west-1' },
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      __type: 'NotFoundException',
      message: `Alias arn:aws:kms:eu-west-1:${DEV.accountId}:alias/none is not found.`,
    });
    const unknown = await api('call', { cookie, csrf, body: { service: 'kms', operation: 'Nope', input: {}, region: 'eu-west-1' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({ __type: 'UnknownOperationException', message: 'Unknown operation TrentService.Nope.' });
  });

  it('ends the session on the server at sign-out', async () => {
    const { cookie, csrf } = await signIn();
    expect((await api('session', { method: 'GET', cookie })).status).toBe(200);
    const out = await api('session', { method: 'DELETE', cookie, csrf });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    const after = await api('session', { method: 'GET', cookie });
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ __type: 'NotSignedIn', message: 'Sign in to use the console.' });
    const call = await api('call', { cookie, csrf, body: { service: 'kms', operation: 'ListKeys', input: {}, region: 'us-east-1' } });
    expect(call.status).toBe(401);
  });

  it('serves the app with a strict Content-Security-Policy, and no file outside its directory', async () => {
    const page = await fetch(`${t.url}/console/keystores`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'; script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain('<div id="root"></div>');
    for (const path of ['/console/..%2F..%2F..%2Fpackage.json', '/console/%2e%2e/%2e%2e/%2e%2e/package.json', '/console/assets/nope.js']) {
      const status = await new Promise<number>((resolve, reject) => {
        get({ host: new URL(t.url).hostname, port: new URL(t.url).port, path }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      expect(status, path).toBe(404);
    }
  });

  it('refuses a cross-origin request', async () => {
    const res = await fetch(`${t.url}/console/api/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: 'https://evil.example' },
      body: JSON.stringify({ accessKeyId: DEV.accessKeyId, secretAccessKey: DEV.secretAccessKey }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { __type: string }).__type).toBe('InvalidOrigin');
  });
});

describe('console UI in Chromium', () => {
  it('signs in, keeps the secret out of browser storage, and signs out', async () => {
    const { page } = b;
    await page.goto(`${t.url}/console`);
    await page.getByLabel('Access key ID').fill(DEV.accessKeyId);
    await page.getByLabel('Secret access key').fill('wrong-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('The access key ID or the secret access key is not correct.');
    await b.screenshot('sign-in-error');

    await page.getByLabel('Secret access key').fill(DEV.secretAccessKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Customer managed keys' }).waitFor();
    const cookies = await b.context.cookies(`${t.url}/console/keys`);
    expect(cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite, path: c.path }))).toEqual([
      { name: 'kmsd_console_session', httpOnly: true, sameSite: 'Strict', path: '/console' },
    ]);
    const storage = await page.evaluate(() => JSON.stringify({ ...window.localStorage, ...window.sessionStorage }) + document.cookie);
    expect(storage).not.toContain(DEV.secretAccessKey === 'test' ? '"test"' : DEV.secretAccessKey);
    expect(storage).not.toContain('kmsd_console_session');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to kmsd' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to kmsd' }).waitFor();
  });

  let keyId = '';
  it('creates a key through the UI', async () => {
    const { page } = b;
    await signInUi(page);
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByLabel('Description').fill('made in the console');
    await b.screenshot('create-key');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('heading', { name: /^Key [0-9a-f-]{36}$/ }).waitFor();
    keyId = ((await page.getByRole('heading', { name: /^Key [0-9a-f-]{36}$/ }).textContent()) ?? '').replace('Key ', '');
    expect((await t.kms().send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.Description).toBe('made in the console');
    await page.getByRole('link', { name: 'Customer managed keys' }).click();
    await expect(page.getByRole('row').filter({ hasText: keyId }).textContent()).resolves.toContain('Enabled');
    // Keys are per Region: another Region in the selector shows none of them.
    await page.getByLabel('Region').selectOption('eu-west-1');
    await page.getByText('No customer managed keys in eu-west-1.').waitFor();
    await page.getByLabel('Region').selectOption('us-east-1');
    await page.getByRole('link', { name: keyId }).click();
    await page.getByRole('heading', { name: `Key ${keyId}` }).waitFor();
  });

  it('disables the key through the UI', async () => {
    const { page } = b;

    await page.getByRole('button', { name: 'Disable key' }).click();
    await page.getByText('The key is disabled.').or(page.getByRole('alert')).first().waitFor();
    await b.screenshot('key-details');
    // An error here (e.g. DisableKey not built yet) fails with the server's own message.
    expect(await page.getByRole('alert').allTextContents()).toEqual([]);
    await expect(page.getByTestId('key-state').textContent()).resolves.toBe('Disabled');
    expect((await t.kms().send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('Disabled');

    await page.getByRole('link', { name: 'Customer managed keys' }).click();
    const row = page.getByRole('row').filter({ hasText: keyId });
    await expect(row.textContent()).resolves.toContain('Disabled');
    await b.screenshot('keys');
  });

  it('shows the key store actions menu, the clusters page and the troubleshooting page', async () => {
    const { page } = b;
    await page.getByRole('link', { name: 'Custom key stores' }).click();
    await page.getByRole('heading', { name: 'Custom key stores' }).waitFor();
    await page.getByRole('button', { name: 'Key store actions' }).click();
    const items = await page.getByRole('menuitem').allTextContents();
    expect(items).toEqual([
      'Create custom key store',
      'Connect custom key store',
      'Disconnect custom key store',
      'Edit custom key store settings',
      'Delete custom key store',
    ]);
    await b.screenshot('keystores');
    await page.keyboard.press('Escape');
    await page.getByRole('link', { name: 'AWS CloudHSM clusters' }).click();
    await page.getByRole('heading', { name: 'AWS CloudHSM clusters' }).waitFor();
    await b.screenshot('clusters-empty');
    await page.getByRole('link', { name: 'Troubleshooting', exact: true }).click();
    await page.getByRole('heading', { name: 'Troubleshooting custom key stores' }).waitFor();
    await expect(page.locator('#USER_LOCKED_OUT').textContent()).resolves.toContain('kmsuser is locked');
    await b.screenshot('troubleshooting');
  });
});

describe('AWS CloudHSM clusters page in Chromium', () => {
  const ssl = new OpensslWorkspace();

  it('creates a cluster, adds an HSM, initializes it with a signed CSR, activates it and creates kmsuser', async () => {
    const { page } = b;
    await signInUi(page, OPS);
    expect(await page.getByLabel('Signed-in account').textContent()).toBe(`arn:aws:iam::${OPS.accountId}:root`);
    await page.getByRole('link', { name: 'AWS CloudHSM clusters' }).click();
    await page.getByRole('button', { name: 'Create cluster' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create cluster' });
    await dialog.getByLabel(/Subnet IDs/).fill('subnet-aaaa1111, subnet-bbbb2222');
    await dialog.getByRole('button', { name: 'Create cluster' }).click();
    const details = page.getByRole('region', { name: /^Cluster cluster-/ });
    await details.waitFor();
    const clusterId = ((await details.getAttribute('aria-label')) ?? '').replace('Cluster ', '');
    expect(clusterId).toMatch(/^cluster-[a-z2-7]{11}$/);

    await details.getByLabel('Availability Zone').selectOption('us-east-1b');
    await details.getByRole('button', { name: 'Add HSM' }).click();
    await details.getByText('Adding an HSM in us-east-1b.').waitFor();
    await page.getByRole('button', { name: 'Refresh clusters' }).click();
    await details.getByRole('button', { name: 'Download cluster CSR' }).waitFor();
    expect(await details.getByRole('table', { name: 'HSMs' }).textContent()).toContain('us-east-1b');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      details.getByRole('button', { name: 'Download cluster CSR' }).click(),
    ]);
    const csrPath = await download.path();
    const csr = readFileSync(csrPath, 'utf8');
    expect(csr).toContain('-----BEGIN CERTIFICATE REQUEST-----');
    const ca = await ssl.makeCa('console-ca');
    await details.getByLabel('Signed cluster certificate (PEM)').fill(await ssl.signCsr(ca, csr));
    await details.getByLabel('Trust anchor: issuing CA certificate (PEM)').fill(ca.pem);
    await b.screenshot('cluster-initialize');
    await details.getByRole('button', { name: 'Initialize cluster' }).click();
    await details.getByText('Initializing the cluster.').waitFor();
    await page.getByRole('button', { name: 'Refresh clusters' }).click();
    await expect(page.getByRole('row').filter({ hasText: clusterId }).textContent()).resolves.toContain('INITIALIZED');

    await details.getByRole('button', { name: 'Activate cluster' }).click();
    await page.getByRole('dialog', { name: 'Activate cluster' }).getByLabel('New admin password').fill('admin-pass-1');
    await page.getByRole('dialog', { name: 'Activate cluster' }).getByRole('button', { name: 'Activate' }).click();
    await details.getByText('The cluster is activated; sign in as admin with the new password.').waitFor();
    await page.getByRole('button', { name: 'Refresh clusters' }).click();
    await expect(page.getByRole('row').filter({ hasText: clusterId }).textContent()).resolves.toContain('ACTIVE');

    const users = details.getByRole('region', { name: 'HSM users' });
    await users.getByLabel('Admin password').fill('wrong-password');
    await users.getByRole('button', { name: 'Show users' }).click();
    await users.getByRole('alert').waitFor();
    expect(await users.getByRole('alert').textContent()).toContain('CloudHsmAccessDeniedException');
    await users.getByRole('button', { name: 'Forget admin password' }).click();
    await users.getByLabel('Admin password').fill('admin-pass-1');
    await users.getByRole('button', { name: 'Show users' }).click();
    await users.getByRole('button', { name: 'Create user' }).click();
    const create = page.getByRole('dialog', { name: 'Create HSM user' });
    await create.getByLabel('User name (crypto user)').fill('kmsuser');
    await create.getByLabel('New password').fill('kmsuser-pass-1');
    await create.getByRole('button', { name: 'Create user' }).click();
    await users.getByText('Created crypto user kmsuser.').waitFor();
    await expect(users.getByRole('row').filter({ hasText: 'kmsuser' }).textContent()).resolves.toContain('crypto-user');
    await b.screenshot('clusters');

    const ops = t.cloudhsm({ accessKeyId: OPS.accessKeyId, secretAccessKey: OPS.secretAccessKey });
    const { Clusters } = await ops.send(new DescribeClustersCommand({ Filters: { clusterIds: [clusterId] } }));
    expect(Clusters?.[0]?.State).toBe('ACTIVE');
    expect(Clusters?.[0]?.Hsms?.map((h) => h.AvailabilityZone)).toEqual(['us-east-1b']);
    // The console acted as the signed-in account only: the other account sees no such cluster.
    const dev = await t.cloudhsm().send(new DescribeClustersCommand({}));
    expect(dev.Clusters?.map((c) => c.ClusterId)).not.toContain(clusterId);
  });
});

/**
 * Three ACTIVE clusters with two HSMs each (test/helpers/cluster.ts): `original` with kmsuser,
 * `restored` from its backup (related: same cluster certificate) and `unrelated`.
 */
async function threeClusters() {
  const original = await createKeyStoreCluster(t, 'kmsuser-pass-1');
  const restored = await restoreCluster(t, await backupNow(t, original.clusterId));
  // The operator sets kmsuser's password in the new cluster, then tells KMS (the edit form).
  await resetKmsuserPassword(t, restored, 'kmsuser-pass-2');
  const unrelated = await createKeyStoreCluster(t, 'kmsuser-pass-3');
  return {
    original: original.clusterId,
    trustAnchor: original.trustAnchor,
    restored,
    unrelated: unrelated.clusterId,
    unrelatedTrustAnchor: unrelated.trustAnchor,
  };
}

async function keyStore(name: string) {
  const { CustomKeyStores } = await t.kms().send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: name }));
  return CustomKeyStores?.[0];
}

describe('custom key stores page in Chromium', () => {
  let clusters: Awaited<ReturnType<typeof threeClusters>>;
  let storeId = '';

  beforeAll(async () => {
    clusters = await threeClusters();
    const kms = t.kms();
    const created = await kms.send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: 'payments-store',
        CloudHsmClusterId: clusters.original,
        TrustAnchorCertificate: clusters.trustAnchor,
        KeyStorePassword: 'kmsuser-pass-1',
      }),
    );
    storeId = created.CustomKeyStoreId ?? '';
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
  });

  it('disconnects, edits name + related cluster + password, saves, reconnects and reaches CONNECTED', async () => {
    const { page } = b;
    await signInUi(page);
    await page.getByRole('link', { name: 'Custom key stores' }).click();
    const row = page.getByRole('row').filter({ hasText: storeId });
    await row.getByText('CONNECTED', { exact: true }).waitFor();
    await b.screenshot('keystores-connected');

    await row.getByRole('radio', { name: 'Select payments-store' }).check();
    await page.getByRole('button', { name: 'Key store actions' }).click();
    await page.getByRole('menuitem', { name: 'Disconnect custom key store' }).click();
    await page.getByText('Disconnecting payments-store.').waitFor();
    await row.getByText('DISCONNECTED', { exact: true }).waitFor();

    await page.getByRole('button', { name: 'Key store actions' }).click();
    await page.getByRole('menuitem', { name: 'Edit custom key store settings' }).click();
    await page.getByRole('heading', { name: 'Edit custom key store settings' }).waitFor();
    await page.getByLabel('Custom key store name').fill('payments-store-2');
    const clusterSelect = page.getByLabel('AWS CloudHSM cluster ID');
    const related = await page.locator('optgroup[label^="Related clusters"] option').allTextContents();
    expect(related.map((o) => o.split(' ')[0]).sort()).toEqual([clusters.original, clusters.restored].sort());
    await clusterSelect.selectOption(clusters.restored);
    await page.getByLabel('Current kmsuser password').fill('kmsuser-pass-2');
    await page.getByRole('button', { name: 'Save' }).click();
    const success = page.getByRole('status').filter({ hasText: 'Saved.' });
    await success.waitFor();
    expect(await success.textContent()).toContain(
      `Saved. You edited the friendly name (now "payments-store-2"), the cluster ID (now ${clusters.restored}), the kmsuser password of payments-store.`,
    );
    expect(await success.textContent()).toContain('Reminder: the key store is not connected. Connect it again to use its KMS keys.');
    await b.screenshot('keystore-edit-saved');

    await success.getByRole('button', { name: 'Connect custom key store' }).click();
    await page.getByText('CONNECTED', { exact: true }).waitFor();
    const after = await keyStore('payments-store-2');
    expect(after).toMatchObject({ CustomKeyStoreId: storeId, CloudHsmClusterId: clusters.restored, ConnectionState: 'CONNECTED' });
  });

  it('creates a KMS key in the connected custom key store from the Create key form', async () => {
    const { page } = b;
    await page.getByRole('link', { name: 'Customer managed keys' }).click();
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByLabel('Key store').selectOption(storeId);
    await page.getByLabel('Alias (optional, without "alias/")').fill('payments');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('heading', { name: /^Key [0-9a-f-]{36}$/ }).waitFor();
    const keyId = ((await page.getByRole('heading', { name: /^Key [0-9a-f-]{36}$/ }).textContent()) ?? '').replace('Key ', '');
    const { KeyMetadata } = await t.kms().send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(KeyMetadata).toMatchObject({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: storeId, CloudHsmClusterId: clusters.restored });
    await page.getByRole('region', { name: 'Aliases' }).getByText('alias/payments').waitFor();
    await page.getByRole('link', { name: 'Customer managed keys' }).click();
    const row = page.getByRole('row').filter({ hasText: keyId });
    await expect(row.textContent()).resolves.toContain(storeId);
    expect(await row.textContent()).toContain('payments');
  });

  it('shows why an unrelated cluster is refused, with a link to its help', async () => {
    const { page } = b;
    await page.goto(`${t.url}/console/keystores/${storeId}/edit`);
    await page.getByRole('heading', { name: 'Edit custom key store settings' }).waitFor();
    // While connected only the name can change; the rest is disabled, with Disconnect at hand.
    const note = page.getByRole('note');
    expect(await note.textContent()).toContain(
      'The cluster ID and the kmsuser password can only be changed while the key store is DISCONNECTED',
    );
    expect(await page.getByLabel('AWS CloudHSM cluster ID').isDisabled()).toBe(true);
    expect(await page.getByLabel('Current kmsuser password').isDisabled()).toBe(true);
    await b.screenshot('keystore-edit-connected');
    await note.getByRole('button', { name: 'Disconnect custom key store' }).click();
    await page.getByText('DISCONNECTED', { exact: true }).waitFor();
    expect(await page.getByLabel('AWS CloudHSM cluster ID').isDisabled()).toBe(false);

    await page.getByLabel('AWS CloudHSM cluster ID').selectOption(clusters.unrelated);
    await page.getByRole('button', { name: 'Save' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('CloudHsmClusterNotRelatedException');
    expect(await alert.textContent()).toContain('Fix: Pick the original cluster, a cluster created from one of its backups');
    await b.screenshot('keystore-edit-failed');
    expect((await keyStore('payments-store-2'))?.CloudHsmClusterId).toBe(clusters.restored);

    await alert.getByRole('link', { name: 'Troubleshooting: Cluster is not related' }).click();
    await page.getByRole('heading', { name: 'Troubleshooting custom key stores' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#CloudHsmClusterNotRelatedException');
    expect(await page.locator('#CloudHsmClusterNotRelatedException').textContent()).toContain('does not share a backup history');
  });

  it('shows a FAILED store with its connection error code, a one-line cause and a link to the fix', async () => {
    const kms = t.kms();
    // A wrong kmsuser password: the connection fails asynchronously.
    const { CustomKeyStoreId } = await kms.send(
      new CreateCustomKeyStoreCommand({
        CustomKeyStoreName: 'wrong-password-store',
        CloudHsmClusterId: clusters.unrelated,
        TrustAnchorCertificate: clusters.unrelatedTrustAnchor,
        KeyStorePassword: 'not-the-password',
      }),
    );
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId }));
    const { page } = b;
    await page.getByRole('link', { name: 'Custom key stores' }).click();
    const row = page.getByRole('row').filter({ hasText: CustomKeyStoreId ?? '' });
    await row.getByText('INVALID_CREDENTIALS').waitFor();
    expect(await row.textContent()).toContain(
      'FAILED — INVALID_CREDENTIALS: The kmsuser password KMS has is not the current password of kmsuser in the cluster. How to fix',
    );
    await b.screenshot('keystores-failed');
    await row.getByRole('link', { name: 'How to fix' }).click();
    await page.getByRole('heading', { name: 'Troubleshooting custom key stores' }).waitFor();
    expect(await page.locator('#INVALID_CREDENTIALS').textContent()).toContain('enter the current kmsuser password');
  });
});

describe('console: external key stores', () => {
  afterAll(async () => {
    await xksProxy.close();
  });

  it('creates, connects, edits the proxy path and credential while disconnected, and reconnects', async () => {
    const { page } = b;
    await signInUi(page);
    await page.getByRole('link', { name: 'Custom key stores' }).click();
    await page.getByRole('button', { name: 'Key store actions' }).click();
    await page.getByRole('menuitem', { name: 'Create custom key store' }).click();
    await page.getByLabel('Custom key store name').fill('xks-console');
    await page.getByLabel('Key store type').selectOption('EXTERNAL_KEY_STORE');
    await page.getByLabel('Proxy URI endpoint').fill(XKS_ENDPOINT);
    await page.getByLabel('Proxy URI path').fill('/kms/xks/v1');
    await page.getByLabel('Proxy credential: access key ID').fill(xksProxy.credential.accessKeyId);
    await page.getByLabel('Proxy credential: secret access key').fill(xksProxy.credential.secretAccessKey);
    expect(await page.getByLabel('Proxy credential: secret access key').getAttribute('type')).toBe('password');
    await page.getByRole('button', { name: 'Create custom key store' }).click();
    await page.getByRole('heading', { name: 'Custom key stores' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'xks-console' });
    await row.getByText(`${XKS_ENDPOINT}/kms/xks/v1`).waitFor();
    expect(await row.textContent()).toContain('External');
    expect(await row.textContent()).toContain('DISCONNECTED');
    const stores = await t.kms().send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: 'xks-console' }));
    const storeId = stores.CustomKeyStores?.[0]?.CustomKeyStoreId ?? '';
    expect(storeId).toMatch(/^cks-/);

    await row.getByRole('radio', { name: 'Select xks-console' }).check();
    await page.getByRole('button', { name: 'Key store actions' }).click();
    await page.getByRole('menuitem', { name: 'Connect custom key store', exact: true }).click();
    await row.getByText('CONNECTED', { exact: true }).waitFor();
    await b.screenshot('keystores-external');

    await page.getByRole('button', { name: 'Key store actions' }).click();
    await page.getByRole('menuitem', { name: 'Edit custom key store settings' }).click();
    await page.getByRole('heading', { name: 'Edit custom key store settings' }).waitFor();
    // Connected: the endpoint is locked, the path and credential are not; the secret is never shown.
    expect(await page.getByLabel('Proxy URI endpoint').isDisabled()).toBe(true);
    expect(await page.getByLabel('Proxy URI path').isDisabled()).toBe(false);
    expect(await page.getByLabel('Proxy credential: secret access key').inputValue()).toBe('');
    expect(await page.content()).not.toContain(xksProxy.credential.secretAccessKey);
    await page.getByRole('note').getByRole('button', { name: 'Disconnect custom key store' }).click();
    await page.getByText('DISCONNECTED', { exact: true }).waitFor();
    expect(await page.getByLabel('Proxy URI endpoint').isDisabled()).toBe(false);

    // The proxy operator moves the store under a prefix and rotates the credential.
    xksProxy.uriPath = '/tenant-c/kms/xks/v1';
    xksProxy.credential = newXksCredential();
    await page.getByLabel('Proxy URI path').fill('/tenant-c/kms/xks/v1');
    await page.getByLabel('Proxy credential: access key ID').fill(xksProxy.credential.accessKeyId);
    await page.getByLabel('Proxy credential: secret access key').fill(xksProxy.credential.secretAccessKey);
    await page.getByRole('button', { name: 'Save' }).click();
    const success = page.getByRole('status').filter({ hasText: 'Saved.' });
    await success.waitFor();
    expect(await success.textContent()).toContain('Saved. You edited the proxy URI path, the proxy credential of xks-console.');
    expect(await page.getByLabel('Proxy credential: secret access key').inputValue()).toBe('');
    await b.screenshot('keystore-edit-external');
    await success.getByRole('button', { name: 'Connect custom key store' }).click();
    await page.getByText('CONNECTED', { exact: true }).waitFor();
    const after = await t.kms().send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId }));
    expect(after.CustomKeyStores?.[0]).toMatchObject({
      ConnectionState: 'CONNECTED',
      XksProxyConfiguration: { UriPath: '/tenant-c/kms/xks/v1', AccessKeyId: xksProxy.credential.accessKeyId },
    });
    expect(xksProxy.requests.at(-1)?.requestMetadata.kmsOperation).toBe('ConnectCustomKeyStore');
  });
});
