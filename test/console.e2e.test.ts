/**
 * The web console end to end: its API (sign-in, cookie flags, CSRF, sign-out) over plain
 * HTTP, then the UI in headless Chromium. Every console action runs through the same
 * operation handlers as the SDK, so results are checked with @aws-sdk/client-kms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeKeyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { DEV, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { ensureConsoleBuilt, launchBrowser } from './helpers/browser.js';
import type { TestBrowser } from './helpers/browser.js';

let t: TestKmsd;

/**
 * Parts of the console whose backend other work streams are still building: those tests run
 * as soon as the operation answers something other than NotImplementedException.
 */
async function implemented(probe: TestKmsd, service: string, operation: string, input: unknown): Promise<boolean> {
  const { cookie, csrf } = await signInTo(probe.url);
  const res = await fetch(`${probe.url}/console/api/call`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Cookie: cookie, 'X-Kmsd-Csrf-Token': csrf },
    body: JSON.stringify({ service, operation, input, region: 'us-east-1' }),
  });
  return ((await res.json()) as { __type?: string }).__type !== 'NotImplementedException';
}

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

const probe = await startKmsd();
const HAS = {
  disableKey: await implemented(probe, 'kms', 'DisableKey', { KeyId: '00000000-0000-0000-0000-000000000000' }),
};
await probe.close();

beforeAll(async () => {
  await ensureConsoleBuilt();
  t = await startKmsd();
});
afterAll(async () => t.close());

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
      "1 validation error detected: Value 'NOPE' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: [SIGN_VERIFY, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT]",
    );
    const missing = await api('call', {
      cookie,
      csrf,
      body: { service: 'kms', operation: 'DescribeKey', input: { KeyId: 'alias/none' }, region: 'eu-west-1' },
    });
    expect(missing.status).toBe(404);
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
  let b: TestBrowser;
  beforeAll(async () => {
    b = await launchBrowser();
  });
  afterAll(async () => b?.close());

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
    await page.goto(`${t.url}/console`);
    await page.getByLabel('Access key ID').fill(DEV.accessKeyId);
    await page.getByLabel('Secret access key').fill(DEV.secretAccessKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByLabel('Description').fill('made in the console');
    await b.screenshot('create-key');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('heading', { name: /^Key [0-9a-f-]{36}$/ }).waitFor();
    keyId = ((await page.getByRole('heading', { name: /^Key [0-9a-f-]{36}$/ }).textContent()) ?? '').replace('Key ', '');
    expect((await t.kms().send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.Description).toBe('made in the console');
    await page.getByRole('link', { name: 'Customer managed keys' }).click();
    await expect(page.getByRole('row').filter({ hasText: keyId }).textContent()).resolves.toContain('Enabled');
    await page.getByRole('link', { name: keyId }).click();
    await page.getByRole('heading', { name: `Key ${keyId}` }).waitFor();
  });

  it.runIf(HAS.disableKey)('disables the key through the UI (needs DisableKey)', async () => {
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

  it('shows every page, with the server error where a backend is missing', async () => {
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
    await b.screenshot('clusters');
    await page.getByRole('link', { name: 'Troubleshooting', exact: true }).click();
    await page.getByRole('heading', { name: 'Troubleshooting custom key stores' }).waitFor();
    await expect(page.locator('#USER_LOCKED_OUT').textContent()).resolves.toContain('kmsuser is locked');
    await b.screenshot('troubleshooting');
  });
});
