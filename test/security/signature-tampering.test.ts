/**
 * Issue 14: a signature that does not cover X-Amz-Target (or Content-Type, or any x-amz-*
 * header) must not let a captured request be replayed as another operation. AWS requires those
 * headers in SignedHeaders; kmsd answers like AWS and changes nothing.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateKeyCommand, DescribeKeyCommand } from '@aws-sdk/client-kms';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { awsCli, DEV, REGION, startKmsd } from '../helpers/kmsd.js';
import type { TestKmsd } from '../helpers/kmsd.js';

let t: TestKmsd;
beforeAll(async () => {
  t = await startKmsd();
});
afterAll(async () => {
  await t?.close();
});

/** A DescribeKey request signed over `signed` headers only, as an attacker could capture it. */
async function capture(keyId: string, signed: string[]): Promise<{ headers: Record<string, string>; body: string }> {
  const u = new URL(t.url);
  const body = JSON.stringify({ KeyId: keyId });
  const headers = { host: u.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.DescribeKey' };
  const signer = new SignatureV4({
    credentials: { accessKeyId: DEV.accessKeyId, secretAccessKey: DEV.secretAccessKey },
    region: REGION,
    service: 'kms',
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  const unsignable = new Set(Object.keys(headers).filter((h) => !signed.includes(h)));
  const request = await signer.sign(
    new HttpRequest({ method: 'POST', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/', headers, body }),
    {
      unsignableHeaders: unsignable,
    },
  );
  return { headers: request.headers, body };
}

async function replay(captured: { headers: Record<string, string>; body: string }, target: string) {
  const headers = Object.fromEntries(Object.entries(captured.headers).filter(([k]) => k !== 'host'));
  const res = await fetch(t.url, { method: 'POST', headers: { ...headers, 'x-amz-target': target }, body: captured.body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('headers a signature must cover', () => {
  it('refuses a request signed over host;x-amz-date only, re-sent as another operation, and changes nothing', async () => {
    const { KeyMetadata } = await t.kms().send(new CreateKeyCommand({}));
    const keyId = String(KeyMetadata?.KeyId);
    const captured = await capture(keyId, ['host', 'x-amz-date']);
    expect(captured.headers.authorization).toContain('SignedHeaders=host;x-amz-date,');

    for (const target of ['TrentService.ScheduleKeyDeletion', 'TrentService.DisableKey', 'TrentService.DescribeKey']) {
      expect(await replay(captured, target)).toEqual({
        status: 400,
        body: { __type: 'InvalidSignatureException', message: "'Content-Type' must be a 'SignedHeader' in the AWS Authorization." },
      });
    }
    // Content-Type signed, X-Amz-Target not: named next.
    const withType = await capture(keyId, ['host', 'x-amz-date', 'content-type']);
    expect((await replay(withType, 'TrentService.DisableKey')).body).toEqual({
      __type: 'InvalidSignatureException',
      message: "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.",
    });

    const after = await t.kms().send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(after.KeyMetadata?.KeyState).toBe('Enabled');
    expect(after.KeyMetadata?.DeletionDate).toBeUndefined();
  });

  it('refuses a fully signed request whose X-Amz-Target was changed (the signature no longer matches)', async () => {
    const { KeyMetadata } = await t.kms().send(new CreateKeyCommand({}));
    const keyId = String(KeyMetadata?.KeyId);
    const captured = await capture(keyId, ['host', 'x-amz-date', 'content-type', 'x-amz-target']);
    expect((await replay(captured, 'TrentService.DescribeKey')).status).toBe(200);
    const tampered = await replay(captured, 'TrentService.DisableKey');
    expect(tampered.body.__type).toBe('InvalidSignatureException');
    expect(String(tampered.body.message)).toContain('The request signature we calculated does not match the signature you provided.');
    expect((await t.kms().send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('Enabled');
  });

  it('still accepts the JS SDK and /usr/bin/aws, which sign every such header', { timeout: 120_000 }, async () => {
    const { KeyMetadata } = await t.kms().send(new CreateKeyCommand({ Description: 'sdk' }));
    expect(KeyMetadata?.Description).toBe('sdk');
    const cli = await awsCli(t.url, ['kms', 'describe-key', '--key-id', String(KeyMetadata?.KeyId)]);
    expect(cli.code).toBe(0);
    expect((cli.json as { KeyMetadata: { Description: string } }).KeyMetadata.Description).toBe('sdk');
  });
});

/** Sends raw bytes and returns what the server answered before closing or `maxBytes`. */
function rawExchange(request: string): Promise<string> {
  const u = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => socket.end(request));
    let text = '';
    socket.on('data', (d) => (text += d.toString('utf8')));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

function rawRequestText(headers: Record<string, string>, body: string, extraLines: string[] = []): string {
  const lines = Object.entries(headers)
    .filter(([k]) => k !== 'content-length')
    .map(([k, v]) => `${k}: ${v}`);
  return ['POST / HTTP/1.1', ...lines, ...extraLines, `content-length: ${Buffer.byteLength(body)}`, 'connection: close', '', body].join(
    '\r\n',
  );
}

describe('other tampering with a signed request', () => {
  const everyHeader = ['host', 'x-amz-date', 'content-type', 'x-amz-target'];

  it('refuses a fully signed request whose body was swapped for another key', async () => {
    const [victim, other] = [await t.kms().send(new CreateKeyCommand({})), await t.kms().send(new CreateKeyCommand({}))];
    const captured = await capture(String(other.KeyMetadata?.KeyId), everyHeader);
    const headers = Object.fromEntries(Object.entries(captured.headers).filter(([k]) => k !== 'host'));
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { ...headers, 'x-amz-target': 'TrentService.DescribeKey' },
      body: JSON.stringify({ KeyId: victim.KeyMetadata?.KeyId }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toBe('InvalidSignatureException');
  });

  it('refuses a signed request with a second X-Amz-Target header, and changes nothing', async () => {
    const { KeyMetadata } = await t.kms().send(new CreateKeyCommand({}));
    const keyId = String(KeyMetadata?.KeyId);
    const captured = await capture(keyId, everyHeader);
    const answer = await rawExchange(rawRequestText(captured.headers, captured.body, ['X-Amz-Target: TrentService.DisableKey']));
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect((await t.kms().send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('Enabled');
  });

  it('treats header names case-insensitively: an unsigned X-AMZ-TARGET in capitals is still refused', async () => {
    const { KeyMetadata } = await t.kms().send(new CreateKeyCommand({}));
    const keyId = String(KeyMetadata?.KeyId);
    const captured = await capture(keyId, ['host', 'x-amz-date', 'content-type']);
    const headers = Object.fromEntries(Object.entries(captured.headers).filter(([k]) => k !== 'x-amz-target'));
    const answer = await rawExchange(rawRequestText(headers, captured.body, ['X-AMZ-TARGET: TrentService.DisableKey']));
    expect(answer).toContain(`"message":"'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."`);
    expect((await t.kms().send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe('Enabled');
  });

  it('refuses an oversized Authorization header and keeps serving', async () => {
    const captured = await capture('alias/none', everyHeader);
    const huge = { ...captured.headers, authorization: `${captured.headers.authorization}${'0'.repeat(64 * 1024)}` };
    const answer = await rawExchange(rawRequestText(huge, captured.body));
    // Node refuses headers over its 16 KiB limit before kmsd sees them.
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    const { KeyMetadata } = await t.kms().send(new CreateKeyCommand({ Description: 'still serving' }));
    expect(KeyMetadata?.Description).toBe('still serving');
  });
});
