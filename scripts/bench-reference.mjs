#!/usr/bin/env node
// The yardstick for `npm run bench`: the least a KMS-compatible server must do per request,
// and nothing more. node:http, a SigV4 check with the same @smithy/signature-v4 library
// kmsd uses (its signing keys cached per date/region/service), and AES-256-GCM of the same
// payload under one in-memory key. No store, no key lookup, no validation, no KDF.
//
//   node scripts/bench-reference.mjs [--port N]     prints "reference listening on <url>"
import { createServer } from 'node:http';
import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const SECRETS = { test: 'test' };
const KEY = randomBytes(32);
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000';
const signers = new Map();

function signerFor(accessKeyId, region, service) {
  const id = `${accessKeyId}/${region}/${service}`;
  let signer = signers.get(id);
  if (!signer) {
    signer = new SignatureV4({
      credentials: { accessKeyId, secretAccessKey: SECRETS[accessKeyId] },
      region,
      service,
      sha256: Hash.bind(null, 'sha256'),
      applyChecksum: false,
    });
    signers.set(id, signer);
  }
  return signer;
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

async function verify(req, body) {
  const m = AUTH.exec(req.headers.authorization ?? '');
  if (!m || !(m[1] in SECRETS)) return false;
  const [, accessKeyId, , region, service, signedHeaders, signature] = m;
  const names = signedHeaders.split(';');
  const headers = {};
  for (const n of names) headers[n] = req.headers[n];
  const d = req.headers['x-amz-date'];
  const date = new Date(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(9, 11)}:${d.slice(11, 13)}:${d.slice(13, 15)}Z`);
  const signed = await signerFor(accessKeyId, region, service).sign(
    new HttpRequest({ method: 'POST', protocol: 'http:', hostname: headers.host, path: '/', headers, body }),
    { signingDate: date, signableHeaders: new Set(names) },
  );
  const expected = Buffer.from(signed.headers.authorization.slice(-64));
  return timingSafeEqual(expected, Buffer.from(signature));
}

function seal(plaintext) {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', KEY, iv);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, ct, c.getAuthTag()]);
}

function open(blob) {
  const d = createDecipheriv('aes-256-gcm', KEY, blob.subarray(0, 12));
  d.setAuthTag(blob.subarray(blob.length - 16));
  return Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]);
}

const OPERATIONS = {
  Encrypt: (input) => ({
    CiphertextBlob: seal(Buffer.from(input.Plaintext, 'base64')).toString('base64'),
    KeyId: KEY_ARN,
    EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
  }),
  Decrypt: (input) => ({
    Plaintext: open(Buffer.from(input.CiphertextBlob, 'base64')).toString('base64'),
    KeyId: KEY_ARN,
    EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
  }),
  GenerateDataKey: () => {
    const plaintext = randomBytes(32);
    return { CiphertextBlob: seal(plaintext).toString('base64'), Plaintext: plaintext.toString('base64'), KeyId: KEY_ARN };
  },
};

function reply(res, status, body) {
  // A string body: Node sends it in one write with the headers, as kmsd does.
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload, 'utf8');
}

const server = createServer({ keepAliveTimeout: 65_000 }, async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = Buffer.concat(chunks);
  try {
    if (!(await verify(req, body))) return reply(res, 400, { __type: 'InvalidSignatureException', message: 'bad signature' });
    const op = OPERATIONS[String(req.headers['x-amz-target']).split('.')[1]];
    if (!op) return reply(res, 400, { __type: 'UnknownOperationException', message: 'unknown operation' });
    reply(res, 200, op(JSON.parse(body.toString('utf8'))));
  } catch {
    reply(res, 400, { __type: 'SerializationException', message: 'bad request' });
  }
});

server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`reference listening on http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
