import { describe, expect, it } from 'vitest';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { ServiceError } from '../core/service-error.js';
import { SigV4Verifier } from './sigv4.js';
import type { SignedRequest } from './sigv4.js';

const verifier = new SigV4Verifier([
  { accountId: '111111111111', accessKeyId: 'AKIDONE', secretAccessKey: 'secret-one' },
  { accountId: '111111111111', accessKeyId: 'AKIDONEB', secretAccessKey: 'secret-one-b' },
  { accountId: '222222222222', accessKeyId: 'AKIDTWO', secretAccessKey: 'secret-two' },
]);
const NOW = new Date('2026-11-28T12:00:00Z');
const BODY = '{"Limit":5}';

interface SignOptions {
  accessKeyId?: string;
  secretAccessKey?: string;
  region?: string;
  service?: string;
  date?: Date;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  unsignable?: string[];
  applyChecksum?: boolean;
  /** As sent on the wire (already percent-encoded, as the SDKs build it). */
  path?: string;
}

async function signed(o: SignOptions = {}): Promise<SignedRequest> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: o.accessKeyId ?? 'AKIDONE', secretAccessKey: o.secretAccessKey ?? 'secret-one' },
    region: o.region ?? 'eu-west-1',
    service: o.service ?? 'kms',
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: o.applyChecksum ?? false,
  });
  const request = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: 'localhost',
      port: 4599,
      path: o.path ?? '/',
      query: o.query ?? {},
      headers: {
        host: 'localhost:4599',
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'TrentService.ListKeys',
        ...o.headers,
      },
      body: BODY,
    }),
    { signingDate: o.date ?? NOW, unsignableHeaders: new Set(o.unsignable ?? []) },
  );
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v;
  const query = new URLSearchParams(o.query ?? {}).toString();
  return { method: 'POST', path: o.path ?? '/', query, headers, body: Buffer.from(BODY) };
}

async function rejection(req: SignedRequest, now = NOW): Promise<{ code: string; message: string; status: number }> {
  try {
    await verifier.verify(req, 'kms', now);
  } catch (err) {
    if (err instanceof ServiceError) return { code: err.code, message: err.message, status: err.status };
    throw err;
  }
  throw new Error('expected a rejection');
}

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

describe('SigV4Verifier', () => {
  it('returns the account, access key and region of a valid signature', async () => {
    expect(await verifier.verify(await signed(), 'kms', NOW)).toMatchObject({
      accountId: '111111111111',
      accessKeyId: 'AKIDONE',
      region: 'eu-west-1',
      principal: { type: 'Account', arn: 'arn:aws:iam::111111111111:root', userId: '111111111111' },
    });
    expect(await verifier.verify(await signed({ accessKeyId: 'AKIDONEB', secretAccessKey: 'secret-one-b' }), 'kms', NOW)).toMatchObject({
      accountId: '111111111111',
    });
    expect(
      await verifier.verify(await signed({ accessKeyId: 'AKIDTWO', secretAccessKey: 'secret-two', region: 'ap-south-1' }), 'kms', NOW),
    ).toMatchObject({
      accountId: '222222222222',
      accessKeyId: 'AKIDTWO',
      region: 'ap-south-1',
      principal: { arn: 'arn:aws:iam::222222222222:root' },
    });
  });

  it('accepts a true x-amz-content-sha256 and a signed query string', async () => {
    expect((await verifier.verify(await signed({ applyChecksum: true }), 'kms', NOW)).accountId).toBe('111111111111');
    expect((await verifier.verify(await signed({ query: { a: 'b c', z: '1' } }), 'kms', NOW)).accountId).toBe('111111111111');
  });

  it('agrees with the SDK signer on header whitespace, repeated and escaped query parameters, and paths', async () => {
    const cases: SignOptions[] = [
      { headers: { 'x-amz-user-agent': '  aws-cli/2.9   Python/3.11  ', 'x-custom': 'a\tb' } },
      { query: { 'a*b': "it's (here)~", 'Z-upper': 'é ü', empty: '' } },
      { path: '/a%20b/c/' },
      { path: '/x/./y/../z' },
      { region: 'eu-central-2', service: 'kms' },
    ];
    for (const c of cases) {
      expect((await verifier.verify(await signed(c), 'kms', NOW)).accountId).toBe('111111111111');
    }
    const repeated = await signed({ query: { b: '1' } });
    expect(await rejection({ ...repeated, query: 'b=1&b=2' })).toMatchObject({ message: MISMATCH });
  });

  it('rejects a signature that is not 64 hex digits', async () => {
    const req = await signed();
    const auth = String(req.headers.authorization).replace(/Signature=[0-9a-f]+/, 'Signature=ZZ');
    expect(await rejection({ ...req, headers: { ...req.headers, authorization: auth } })).toMatchObject({ message: MISMATCH });
  });

  it('rejects a date that is not a real instant', async () => {
    const req = await signed();
    expect(await rejection({ ...req, headers: { ...req.headers, 'x-amz-date': '20261328T120000Z' } })).toMatchObject({
      code: 'IncompleteSignatureException',
      message: "Date must be in ISO-8601 'basic format'. Got '20261328T120000Z'. See http://en.wikipedia.org/wiki/ISO_8601",
    }); // Hour 24, 30 February, second 60, and a two-digit year Date.UTC would read as 19xx.
    for (const date of ['20261128T240000Z', '20260230T120000Z', '20261128T120060Z', '00501128T120000Z']) {
      expect(await rejection({ ...req, headers: { ...req.headers, 'x-amz-date': date } })).toMatchObject({
        code: 'IncompleteSignatureException',
        message: `Date must be in ISO-8601 'basic format'. Got '${date}'. See http://en.wikipedia.org/wiki/ISO_8601`,
      });
    }
  });

  it('rejects another account’s secret, a changed body, header or query', async () => {
    expect(await rejection(await signed({ secretAccessKey: 'secret-two' }))).toEqual({
      code: 'InvalidSignatureException',
      message: MISMATCH,
      status: 400,
    });
    const body = await signed();
    expect(await rejection({ ...body, body: Buffer.from('{"Limit":6}') })).toMatchObject({ message: MISMATCH });
    const header = await signed();
    expect(await rejection({ ...header, headers: { ...header.headers, 'x-amz-target': 'TrentService.CreateKey' } })).toMatchObject({
      message: MISMATCH,
    });
    const query = await signed({ query: { a: '1' } });
    expect(await rejection({ ...query, query: 'a=2' })).toMatchObject({ message: MISMATCH });
    const hashed = await signed({ applyChecksum: true });
    expect(await rejection({ ...hashed, headers: { ...hashed.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } })).toMatchObject({
      code: 'InvalidSignatureException',
      message: MISMATCH,
    });
  });

  it('requires Host among the signed headers', async () => {
    const req = await signed({ unsignable: ['host'] });
    expect(await rejection(req)).toEqual({
      code: 'InvalidSignatureException',
      message: "'Host' must be a 'SignedHeader' in the AWS Authorization.",
      status: 400,
    });
  });

  it('requires every x-amz-* header and Content-Type to be signed', async () => {
    const cases: [string[], Record<string, string>, string][] = [
      [['x-amz-target'], {}, 'X-Amz-Target'],
      [['content-type'], {}, 'Content-Type'],
      [['x-amz-security-token'], { 'x-amz-security-token': 'token' }, 'X-Amz-Security-Token'],
      [['x-amz-user-agent'], { 'x-amz-user-agent': 'aws-sdk-js/3' }, 'X-Amz-User-Agent'],
    ];
    for (const [unsignable, headers, name] of cases) {
      expect(await rejection(await signed({ unsignable, headers }))).toEqual({
        code: 'InvalidSignatureException',
        message: `'${name}' must be a 'SignedHeader' in the AWS Authorization.`,
        status: 400,
      });
    }
    // Other unsigned headers (User-Agent, X-Amzn-Trace-Id) are allowed, as AWS allows them.
    const req = await signed({
      unsignable: ['user-agent', 'x-amzn-trace-id'],
      headers: { 'user-agent': 'ua', 'x-amzn-trace-id': 'Root=1' },
    });
    expect((await verifier.verify(req, 'kms', NOW)).accountId).toBe('111111111111');
  });

  it('rejects unknown keys, and session tokens on long-term keys', async () => {
    expect(await rejection(await signed({ accessKeyId: 'AKIDNOPE' }))).toEqual({
      code: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
      status: 400,
    });
    expect(await rejection(await signed({ headers: { 'x-amz-security-token': 'token' } }))).toMatchObject({
      code: 'UnrecognizedClientException',
    });
  });

  it('checks the credential scope', async () => {
    expect(await rejection(await signed({ service: 'cloudhsm' }))).toEqual({
      code: 'InvalidSignatureException',
      message: "Credential should be scoped to correct service: 'kms'. ",
      status: 400,
    });
    const req = await signed();
    const auth = String(req.headers.authorization).replace('/20261128/', '/20261127/');
    expect(await rejection({ ...req, headers: { ...req.headers, authorization: auth } })).toEqual({
      code: 'InvalidSignatureException',
      message:
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261127' != '20261128', from '20261128T120000Z'.",
      status: 400,
    });
  });

  it('allows 5 minutes of clock skew either way, and says by how much it is off', async () => {
    const req = await signed();
    expect((await verifier.verify(req, 'kms', new Date(NOW.getTime() + 300_000))).accountId).toBe('111111111111');
    expect((await verifier.verify(req, 'kms', new Date(NOW.getTime() - 300_000))).accountId).toBe('111111111111');
    expect(await rejection(req, new Date(NOW.getTime() + 301_000))).toEqual({
      code: 'InvalidSignatureException',
      message: 'Signature expired: 20261128T120000Z is now earlier than 20261128T120001Z (20261128T120501Z - 5 min.)',
      status: 400,
    });
    expect(await rejection(req, new Date(NOW.getTime() - 301_000))).toEqual({
      code: 'InvalidSignatureException',
      message: 'Signature not yet current: 20261128T120000Z is still later than 20261128T115959Z (20261128T115459Z + 5 min.)',
      status: 400,
    });
  });

  it('names what is missing from the Authorization header', async () => {
    const req = await signed();
    const without = (authorization: string | undefined, extra: Record<string, string | undefined> = {}) =>
      rejection({ ...req, headers: { ...req.headers, authorization, ...extra } });
    expect(await without(undefined)).toEqual({
      code: 'MissingAuthenticationTokenException',
      message: 'Request is missing Authentication Token',
      status: 400,
    });
    expect(await without('AWS4-HMAC-SHA256 Credential=AKIDONE/20261128/eu-west-1/kms/aws4_request')).toEqual({
      code: 'IncompleteSignatureException',
      message:
        "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " +
        'Authorization=AWS4-HMAC-SHA256 Credential=AKIDONE/20261128/eu-west-1/kms/aws4_request',
      status: 400,
    });
    expect(await without('AWS4-HMAC-SHA512 Credential=x')).toMatchObject({ message: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'." });
    expect(await without(String(req.headers.authorization), { 'x-amz-date': 'yesterday' })).toEqual({
      code: 'IncompleteSignatureException',
      message: "Date must be in ISO-8601 'basic format'. Got 'yesterday'. See http://en.wikipedia.org/wiki/ISO_8601",
      status: 400,
    });
  });
});
