/**
 * The HTTP edge against bad input: every fault gets AWS's status, `__type` and text, every
 * response carries x-amzn-RequestId, and nothing answers 500 or hangs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListKeysCommand } from '@aws-sdk/client-kms';
import { awsCli, rawRequest, signedHeaders, startKmsd } from './helpers/kmsd.js';
import type { RawRequestOptions, RawResponse, TestKmsd } from './helpers/kmsd.js';

let t: TestKmsd;

beforeAll(async () => {
  t = await startKmsd();
});
afterAll(async () => t.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

function send(o: RawRequestOptions): Promise<RawResponse> {
  return rawRequest(t.url, o);
}

function expectError(res: RawResponse, status: number, type: string, message: string | RegExp): void {
  expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
  expect({ status: res.status, type: res.body.__type }).toEqual({ status, type });
  expect(res.headers.get('x-amzn-errortype')).toBe(type);
  if (typeof message === 'string') expect(res.body.message).toBe(message);
  else expect(res.body.message).toMatch(message);
}

function amzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

describe('routes and framing', () => {
  it('GET /health answers 200 with a request id', async () => {
    const res = await fetch(`${t.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', pid: process.pid });
    expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
  });

  it('a successful API call carries x-amzn-RequestId and the awsJson content type', async () => {
    const res = await send({ target: 'TrentService.ListKeys', body: '{}' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(res.body).toEqual({ Keys: [], Truncated: false });
  });

  it('accepts an empty body as {}', async () => {
    const res = await send({ target: 'TrentService.ListKeys', body: '' });
    expect(res.status).toBe(200);
    expect(res.body.Truncated).toBe(false);
  });

  it('answers an unknown path or method with UnknownOperationException', async () => {
    expectError(
      await send({ target: 'TrentService.ListKeys', path: '/nope' }),
      400,
      'UnknownOperationException',
      'No route for POST /nope',
    );
    expectError(await send({ target: 'TrentService.ListKeys', method: 'GET' }), 400, 'UnknownOperationException', 'No route for GET /');
  });

  it('rejects a Content-Type other than awsJson', async () => {
    expectError(
      await send({ target: 'TrentService.ListKeys', contentType: 'application/json' }),
      400,
      'UnknownOperationException',
      "Unsupported Content-Type 'application/json'; expected application/x-amz-json-1.1.",
    );
    expectError(
      await send({ target: 'TrentService.ListKeys', contentType: 'text/plain' }),
      400,
      'UnknownOperationException',
      "Unsupported Content-Type 'text/plain'; expected application/x-amz-json-1.1.",
    );
  });

  it('accepts awsJson 1.0 and a charset parameter', async () => {
    expect((await send({ target: 'TrentService.ListKeys', contentType: 'application/x-amz-json-1.0' })).status).toBe(200);
    expect((await send({ target: 'TrentService.ListKeys', contentType: 'application/x-amz-json-1.1; charset=utf-8' })).status).toBe(200);
  });

  it('rejects a missing or unknown X-Amz-Target', async () => {
    expectError(await send({}), 400, 'UnknownOperationException', 'Missing X-Amz-Target header.');
    expectError(
      await send({ target: 'TrentService.Frobnicate' }),
      400,
      'UnknownOperationException',
      'Unknown operation TrentService.Frobnicate.',
    );
    expectError(await send({ target: 'ListKeys' }), 400, 'UnknownOperationException', 'Unknown operation ListKeys.');
    expectError(
      await send({ target: 'TrentService.toString' }),
      400,
      'UnknownOperationException',
      'Unknown operation TrentService.toString.',
    );
  });

  it('rejects a body over 1 MiB with 413 and stays usable', async () => {
    const big = JSON.stringify({ Description: 'x'.repeat(1024 * 1024) });
    expectError(
      await send({ target: 'TrentService.CreateKey', body: big }),
      413,
      'RequestEntityTooLargeException',
      'Request body must be at most 1048576 bytes.',
    );
    expect((await send({ target: 'TrentService.ListKeys' })).status).toBe(200);
  });
});

describe('JSON and types (SerializationException)', () => {
  it('rejects malformed JSON', async () => {
    expectError(
      await send({ target: 'TrentService.ListKeys', body: '{"Limit": ' }),
      400,
      'SerializationException',
      'Malformed JSON in the request body.',
    );
  });

  it('rejects a body that is not an object', async () => {
    for (const body of ['[]', '"x"', '5', 'null']) {
      expectError(
        await send({ target: 'TrentService.ListKeys', body }),
        400,
        'SerializationException',
        'Start of structure or map expected.',
      );
    }
  });

  it('names the JSON token that has the wrong type', async () => {
    const cases: [string, unknown, string][] = [
      ['CreateKey', { Description: 5 }, 'NUMBER_VALUE can not be converted to a String'],
      ['CreateKey', { Description: true }, 'BOOLEAN_VALUE can not be converted to a String'],
      ['CreateKey', { BypassPolicyLockoutSafetyCheck: 'yes' }, 'STRING_VALUE can not be converted to a Boolean'],
      ['CreateKey', { Tags: {} }, 'Start of structure or map found where not expected'],
      ['CreateKey', { Description: [] }, 'Start of list found where not expected'],
      ['ListKeys', { Limit: '5' }, 'STRING_VALUE can not be converted to an Integer'],
      ['ListKeys', { Limit: 1.5 }, 'NUMBER_VALUE 1.5 can not be converted to an Integer'],
      ['Encrypt', { KeyId: 'k', Plaintext: 5 }, 'NUMBER_VALUE can not be converted to a ByteBuffer'],
      ['Encrypt', { KeyId: 'k', Plaintext: 'AA==', EncryptionContext: [] }, 'Start of list found where not expected'],
      ['Encrypt', { KeyId: 'k', Plaintext: 'AA==', EncryptionContext: { a: 1 } }, 'NUMBER_VALUE can not be converted to a String'],
      [
        'ImportKeyMaterial',
        { KeyId: 'k', ImportToken: 'AA==', EncryptedKeyMaterial: 'AA==', ValidTo: 'soon' },
        'STRING_VALUE can not be converted to a Date',
      ],
      [
        'ImportKeyMaterial',
        { KeyId: 'k', ImportToken: 'AA==', EncryptedKeyMaterial: 'AA==', ValidTo: 1e300 },
        'NUMBER_VALUE 1e+300 can not be converted to a Date',
      ],
    ];
    for (const [op, body, message] of cases) {
      expectError(await send({ target: `TrentService.${op}`, body: JSON.stringify(body) }), 400, 'SerializationException', message);
    }
  });

  it('rejects a blob that is not base64', async () => {
    for (const bad of ['!!!!', 'AAA', 'A===', 'AA=A']) {
      expectError(
        await send({ target: 'TrentService.Encrypt', body: JSON.stringify({ KeyId: 'alias/x', Plaintext: bad }) }),
        400,
        'SerializationException',
        "Value for 'Plaintext' is not a valid base64-encoded blob.",
      );
    }
  });

  it('keeps an encryption context key named __proto__ (it is part of the AAD)', async () => {
    const created = await send({ target: 'TrentService.CreateKey', body: '{}' });
    const keyId = (created.body.KeyMetadata as { KeyId: string }).KeyId;
    const context = '{"__proto__":"x"}';
    const enc = await send({
      target: 'TrentService.Encrypt',
      body: `{"KeyId":"${keyId}","Plaintext":"aGk=","EncryptionContext":${context}}`,
    });
    expect(enc.status).toBe(200);
    const blob = enc.body.CiphertextBlob as string;
    const wrongContext = await send({ target: 'TrentService.Decrypt', body: JSON.stringify({ CiphertextBlob: blob }) });
    // As AWS: the exception alone, with no message member at all.
    expect({ status: wrongContext.status, body: wrongContext.body }).toEqual({
      status: 400,
      body: { __type: 'InvalidCiphertextException' },
    });
    const dec = await send({ target: 'TrentService.Decrypt', body: `{"CiphertextBlob":"${blob}","EncryptionContext":${context}}` });
    expect({ status: dec.status, plaintext: dec.body.Plaintext }).toEqual({ status: 200, plaintext: 'aGk=' });
  });

  it('reports constraint violations as one ValidationException', async () => {
    expectError(
      await send({ target: 'TrentService.ListKeys', body: JSON.stringify({ Limit: 0, Marker: '' }) }),
      400,
      'ValidationException',
      "2 validation errors detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
        "Value '' at 'marker' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });
});

describe('SigV4', () => {
  it('rejects a request without Authorization', async () => {
    expectError(
      await send({ target: 'TrentService.ListKeys', sign: false }),
      400,
      'MissingAuthenticationTokenException',
      'Request is missing Authentication Token',
    );
  });

  it('refuses an unsigned or unknown-key request from its headers, without waiting for its body', async () => {
    // Headers announce a 1 MB body that never comes: only an answer from the headers can end this.
    const { connect } = await import('node:net');
    const url = new URL(t.url);
    const answer = (headers: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname, () =>
          socket.write(
            `POST / HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/x-amz-json-1.1\r\n` +
              `X-Amz-Target: TrentService.ListKeys\r\nContent-Length: 1000000\r\n${headers}\r\n`,
          ),
        );
        let text = '';
        socket.on('data', (d) => (text += d.toString('utf8')));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
    const unsigned = await answer('');
    expect(unsigned).toMatch(/^HTTP\/1\.1 400 /);
    expect(unsigned).toContain('"__type":"MissingAuthenticationTokenException"');
    const date = amzDate(new Date());
    const unknownKey = await answer(
      `X-Amz-Date: ${date}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDNOBODY/${date.slice(0, 8)}/us-east-1/kms/aws4_request, ` +
        `SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}\r\n`,
    );
    expect(unknownKey).toContain('"__type":"UnrecognizedClientException"');
  });

  it('rejects a malformed Authorization header', async () => {
    const date = amzDate(new Date());
    const withAuth = (authorization: string) =>
      send({ target: 'TrentService.ListKeys', sign: false, extraHeaders: { authorization, 'x-amz-date': date } });
    expectError(
      await withAuth('AWS4-HMAC-SHA256 garbage'),
      400,
      'IncompleteSignatureException',
      "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
        "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 garbage",
    );
    expectError(await withAuth('Bearer abc'), 400, 'IncompleteSignatureException', "Unsupported AWS 'algorithm': 'Bearer'.");
    expectError(
      await withAuth('AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1, SignedHeaders=host, Signature=00'),
      400,
      'IncompleteSignatureException',
      "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'test/20260101/us-east-1'",
    );
    expectError(
      await send({
        target: 'TrentService.ListKeys',
        sign: false,
        extraHeaders: {
          authorization: `AWS4-HMAC-SHA256 Credential=test/${date.slice(0, 8)}/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00`,
        },
      }),
      400,
      'IncompleteSignatureException',
      /^Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header\. Authorization=AWS4-HMAC-SHA256 /,
    );
  });

  it('rejects a wrong secret with the exact AWS text (SDK and raw)', async () => {
    expectError(
      await send({ target: 'TrentService.ListKeys', secretAccessKey: 'wrong' }),
      400,
      'InvalidSignatureException',
      SIGNATURE_MISMATCH,
    );
    await expect(t.kms({ secretAccessKey: 'wrong' }).send(new ListKeysCommand({}))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      message: SIGNATURE_MISMATCH,
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('rejects an unknown access key', async () => {
    expectError(
      await send({ target: 'TrentService.ListKeys', accessKeyId: 'AKIDUNKNOWN' }),
      400,
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  });

  it('rejects a signature for another service', async () => {
    expectError(
      await send({ target: 'TrentService.ListKeys', service: 's3' }),
      400,
      'InvalidSignatureException',
      "Credential should be scoped to correct service: 'kms'. ",
    );
  });

  it('rejects a request signed more than 5 minutes away from the service clock', async () => {
    const past = new Date(Date.now() - 6 * 60 * 1000);
    expectError(
      await send({ target: 'TrentService.ListKeys', signingDate: past }),
      400,
      'InvalidSignatureException',
      new RegExp(`^Signature expired: ${amzDate(past)} is now earlier than \\d{8}T\\d{6}Z \\(\\d{8}T\\d{6}Z - 5 min\\.\\)$`),
    );
    const future = new Date(Date.now() + 6 * 60 * 1000);
    expectError(
      await send({ target: 'TrentService.ListKeys', signingDate: future }),
      400,
      'InvalidSignatureException',
      new RegExp(`^Signature not yet current: ${amzDate(future)} is still later than \\d{8}T\\d{6}Z \\(\\d{8}T\\d{6}Z \\+ 5 min\\.\\)$`),
    );
    // Within the window both ways.
    expect((await send({ target: 'TrentService.ListKeys', signingDate: new Date(Date.now() - 4 * 60 * 1000) })).status).toBe(200);
    expect((await send({ target: 'TrentService.ListKeys', signingDate: new Date(Date.now() + 4 * 60 * 1000) })).status).toBe(200);
  });

  it('measures skew against the service clock, which tests can move', async () => {
    const other = await startKmsd();
    try {
      await other.advanceClock(600);
      expectError(
        await rawRequest(other.url, { target: 'TrentService.ListKeys' }),
        400,
        'InvalidSignatureException',
        /^Signature expired: /,
      );
      expect((await rawRequest(other.url, { target: 'TrentService.ListKeys', signingDate: new Date(Date.now() + 600_000) })).status).toBe(
        200,
      );
    } finally {
      await other.close();
    }
  });

  it('rejects a body altered after signing, with or without x-amz-content-sha256', async () => {
    // The smithy signer sends x-amz-content-sha256: the claimed hash no longer matches.
    expectError(
      await send({ target: 'TrentService.ListKeys', body: '{"Limit":5}', sendBody: '{"Limit":6}' }),
      400,
      'InvalidSignatureException',
      SIGNATURE_MISMATCH,
    );
    // The AWS CLI sends no body hash header: the signature itself no longer matches.
    const signed = { headers: await signedHeaders(t.url, 'TrentService.ListKeys', '{"Limit":5}', { applyChecksum: false }) };
    expect(signed.headers['x-amz-content-sha256']).toBeUndefined();
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host'));
    const ok = await fetch(t.url, { method: 'POST', headers, body: '{"Limit":5}' });
    expect(ok.status).toBe(200);
    const tampered = await fetch(t.url, { method: 'POST', headers, body: '{"Limit":6}' });
    expect(tampered.status).toBe(400);
    expect(await tampered.json()).toEqual({ __type: 'InvalidSignatureException', message: SIGNATURE_MISMATCH });
    expect(tampered.headers.get('x-amzn-requestid')).toMatch(UUID);
  });

  it('rejects signed header names that are not headers', async () => {
    const date = amzDate(new Date());
    const authorization = `AWS4-HMAC-SHA256 Credential=test/${date.slice(0, 8)}/us-east-1/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target;__proto__;constructor, Signature=00`;
    expectError(
      await send({ target: 'TrentService.ListKeys', sign: false, extraHeaders: { authorization, 'x-amz-date': date } }),
      400,
      'InvalidSignatureException',
      SIGNATURE_MISMATCH,
    );
  });

  it('gives /usr/bin/aws the same errors', async () => {
    const wrong = await awsCli(t.url, ['kms', 'list-keys'], { AWS_SECRET_ACCESS_KEY: 'wrong' });
    expect(wrong.code).not.toBe(0);
    // The CLI treats signature errors as retryable (clock skew) and says so in the text.
    expect(wrong.stderr).toContain('An error occurred (InvalidSignatureException) when calling the ListKeys operation');
    expect(wrong.stderr).toContain(SIGNATURE_MISMATCH);
    const unknown = await awsCli(t.url, ['kms', 'list-keys'], { AWS_ACCESS_KEY_ID: 'AKIDUNKNOWN' });
    expect(unknown.stderr).toContain('An error occurred (UnrecognizedClientException) when calling the ListKeys operation');
    expect(unknown.stderr).toContain(': The security token included in the request is invalid.');
  });
});

describe('robustness', () => {
  it('never answers 500 to junk input', async () => {
    const targets = [
      'TrentService.CreateKey',
      'TrentService.Encrypt',
      'TrentService.Decrypt',
      'TrentService.ListKeys',
      'TrentService.DescribeKey',
    ];
    const bodies = [
      '{"KeyId":{"a":1}}',
      '{"KeyId":"arn:aws:kms:us-east-1:111122223333:alias/"}',
      '{"KeyId":"arn:"}',
      '{"CiphertextBlob":"AAAA"}',
      `{"CiphertextBlob":"${Buffer.alloc(200, 0x6b).toString('base64')}"}`,
      '{"Marker":"bm90LWEtbWFya2Vy"}',
      '{"Marker":"!!"}',
      '{"Tags":[null,{"TagKey":null}]}',
      '{"Policy":"{"}',
      '{"KeyId":"alias/aws/x","Plaintext":""}',
      '{"Limit":1e400}',
      '\u0000\u0001',
      '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
    ];
    for (const target of targets) {
      for (const body of bodies) {
        const res = await send({ target, body });
        expect(res.status, `${target} ${body.slice(0, 40)}`).toBeLessThan(500);
        expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
      }
    }
  });
});
