/**
 * DNS-rebinding and cross-origin protection: a request whose Host kmsd does not answer to is
 * refused (400 HostNotAllowedException) before anything runs (API, console, /health alike),
 * and a console call with a foreign Origin is refused (403 InvalidOrigin).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { ListKeysCommand } from '@aws-sdk/client-kms';
import { signedHeaders, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';

let t: TestKmsd;
let named: TestKmsd;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A request with exactly these headers, Host included (fetch will not send a forged Host). */
function send(url: string, o: { method?: string; path?: string; headers: Record<string, string>; body?: string }): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: o.method ?? 'GET', path: o.path ?? '/', headers: o.headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {} }),
      );
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const refused = (host: string) => ({
  __type: 'HostNotAllowedException',
  message: `Host '${host}' is not one this kmsd answers to (see kmsd serve --allowed-hosts).`,
});

beforeAll(async () => {
  t = await startKmsd();
  named = await startKmsd({ allowedHosts: ['kms.example.com'] });
});
afterAll(async () => {
  await t?.close();
  await named?.close();
});

describe('Host check', () => {
  it('refuses a forged Host on the API before authentication, even with a valid signature', async () => {
    const port = new URL(t.url).port;
    const body = '{}';
    // Signed for the forged host: the signature is valid, the host is not.
    const headers = await signedHeaders(`http://rebound.example:${port}`, 'TrentService.ListKeys', body);
    const answer = await send(t.url, { method: 'POST', headers: { ...headers, host: `rebound.example:${port}` }, body });
    expect(answer).toEqual({ status: 400, body: refused(`rebound.example:${port}`) });
  });

  it('refuses a forged Host on the console and /health', async () => {
    for (const path of ['/console', '/console/api/session', '/health']) {
      const answer = await send(t.url, { path, headers: { host: 'attacker.example' } });
      expect(answer, path).toEqual({ status: 400, body: refused('attacker.example') });
    }
  });

  it('serves localhost, 127.0.0.1 and [::1] names by default', async () => {
    const port = new URL(t.url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      expect((await send(t.url, { path: '/health', headers: { host } })).status, host).toBe(200);
    }
    // The SDK sends Host 127.0.0.1:<port>.
    await expect(t.kms().send(new ListKeysCommand({}))).resolves.toMatchObject({ Keys: [] });
  });

  it('with allowedHosts, serves exactly those names', async () => {
    expect((await send(named.url, { path: '/health', headers: { host: 'kms.example.com:4599' } })).status).toBe(200);
    const loopback = await send(named.url, { path: '/health', headers: { host: '127.0.0.1' } });
    expect(loopback).toEqual({ status: 400, body: refused('127.0.0.1') });
  });
});

describe('Origin check on the console', () => {
  const signIn = (origin: string | undefined) =>
    send(t.url, {
      method: 'POST',
      path: '/console/api/session',
      headers: {
        host: new URL(t.url).host,
        'content-type': 'application/json',
        ...(origin ? { origin } : {}),
      },
      body: JSON.stringify({ accessKeyId: 'test', secretAccessKey: 'test' }),
    });

  it('refuses a console call from a foreign Origin, another port or another scheme', async () => {
    const u = new URL(t.url);
    for (const origin of ['http://attacker.example', `http://127.0.0.1:${Number(u.port) + 1}`, `https://${u.host}`, 'null']) {
      const answer = await signIn(origin);
      expect(answer, origin).toEqual({
        status: 403,
        body: { __type: 'InvalidOrigin', message: 'Cross-origin requests to the console are not allowed.' },
      });
    }
  });

  it('accepts its own origin', async () => {
    const answer = await signIn(new URL(t.url).origin);
    expect(answer.status).toBe(200);
    expect(answer.body.accountId).toBe('111122223333');
  });
});
