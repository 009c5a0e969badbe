/**
 * Replays the cases of test/aws-recordings/kms-recorded-cases.ts (requests and responses
 * recorded from real AWS KMS) against kmsd through the JS SDK, and compares what kmsd sent
 * on the wire: HTTP status, `__type`, the exact `message` (or its absence) and the response
 * fields AWS returned.
 */
import {
  constants,
  createCipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
  verify,
} from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as kmsSdk from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { HttpResponse } from '@smithy/protocol-http';
import type { DeserializeHandler, DeserializeHandlerArguments, MetadataBearer } from '@smithy/types';
import { DEV, REGION, startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';
import { RECORDED_CASES } from './aws-recordings/kms-recorded-cases.js';
import type { CallStep, CheckStep, GenerateStep, Step, Value } from './aws-recordings/kms-recorded-cases.js';

const OTHER_REGION = 'us-west-2';
const ENV = { account: DEV.accountId, region: REGION, otherRegion: OTHER_REGION };

type Saved = Record<string, unknown>;

/** A client that keeps the raw body of its last response, to see exactly what kmsd sent. */
interface RecordingClient {
  client: KMSClient;
  lastBody(): string;
}

function recordingClient(t: TestKmsd, region: string): RecordingClient {
  const client = t.kms({ region });
  let body = '';
  client.middlewareStack.addRelativeTo(
    (next: DeserializeHandler<object, MetadataBearer>) => async (args: DeserializeHandlerArguments<object>) => {
      const result = await next(args);
      if (HttpResponse.isInstance(result.response) && result.response.body instanceof Readable) {
        const chunks: Buffer[] = [];
        for await (const chunk of result.response.body) chunks.push(Buffer.from(chunk as Uint8Array));
        const bytes = Buffer.concat(chunks);
        body = bytes.toString('utf8');
        result.response.body = Readable.from([bytes]);
      }
      return result;
    },
    { relation: 'after', toMiddleware: 'deserializerMiddleware', name: 'recordRawBody' },
  );
  return { client, lastBody: () => body };
}

function lookup(ref: string, saved: Saved): unknown {
  const [root, ...path] = ref.split('.');
  let value: unknown = root === 'env' ? ENV : saved[root];
  if (value === undefined) throw new Error(`no saved response ${root}`);
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const REF = /\{([A-Za-z]\w*(?:\.\w+)+)\}/g;

function asBytes(value: unknown): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw new Error(`not bytes: ${String(value)}`);
}

function publicKeyOf(der: unknown) {
  return createPublicKey({ key: asBytes(der), format: 'der', type: 'spki' });
}

/**
 * Wraps key material for ImportKeyMaterial with GetParametersForImport's public key, as the
 * recorded tests did: RSAES_OAEP_* wraps the material itself; RSA_AES_KEY_WRAP_* wraps it with
 * an ephemeral AES-256 key (RFC 5649) and that key with RSA-OAEP, the two concatenated.
 */
function wrapForImport(publicKeyDer: unknown, material: unknown, algorithm: string): Buffer {
  const key = publicKeyOf(publicKeyDer);
  const oaep = (data: Buffer) =>
    publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: algorithm.endsWith('SHA_1') ? 'sha1' : 'sha256' }, data);
  if (algorithm.startsWith('RSAES_OAEP')) return oaep(asBytes(material));
  const aesKey = randomBytes(32);
  const kwp = createCipheriv('id-aes256-wrap-pad', aesKey, Buffer.from('A65959A6', 'hex'));
  return Buffer.concat([oaep(aesKey), kwp.update(asBytes(material)), kwp.final()]);
}

/** Resolves references and input directives (see the table's header). */
function resolve(value: Value, saved: Saved): unknown {
  if (typeof value === 'string') {
    const whole = /^\{([A-Za-z]\w*(?:\.\w+)+)\}$/.exec(value);
    if (whole) return lookup(whole[1], saved);
    return value.replace(REF, (_, ref: string) => String(lookup(ref, saved)));
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, saved));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0][0].startsWith('$') && entries[0][0] !== '$exactly') {
    const [directive, arg] = entries[0];
    const args = resolve(arg, saved);
    switch (directive) {
      case '$utf8':
        return Buffer.from(args as string, 'utf8');
      case '$concat':
        return Buffer.concat((args as unknown[]).map(asBytes));
      case '$drop': {
        const [blob, n] = args as [unknown, number];
        return asBytes(blob).subarray(n);
      }
      case '$digest': {
        const [hash, message] = args as [string, unknown];
        return createHash(hash).update(asBytes(message)).digest();
      }
      case '$repeat': {
        const [text, n] = args as [string, number];
        return Buffer.from(text.repeat(n), 'utf8');
      }
      case '$tags':
        return Object.entries(args as Record<string, string>).map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
      case '$json':
        return JSON.stringify(args);
      case '$wrap': {
        const [publicKey, material, algorithm] = args as [unknown, unknown, string];
        return wrapForImport(publicKey, material, algorithm);
      }
      case '$hmac': {
        const [hash, key, message] = args as [string, unknown, unknown];
        return createHmac(hash, asBytes(key)).update(asBytes(message)).digest();
      }
      case '$ecdh': {
        const [privateKey, publicKey] = args as [unknown, unknown];
        return diffieHellman({
          privateKey: createPrivateKey({ key: asBytes(privateKey), format: 'der', type: 'pkcs8' }),
          publicKey: publicKeyOf(publicKey),
        });
      }
      default:
        throw new Error(`unknown directive ${directive}`);
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v, saved)]));
}

/** Asserts `actual` matches the recorded `expected` (subset of members unless $exactly). */
function compare(expected: Value, actual: unknown, path: string, saved: Saved): void {
  if (expected === '<present>') return void expect(actual, path).toBeDefined();
  if (expected === '<absent>') return void expect(actual, path).toBeUndefined();
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    const members = expected as Record<string, Value>;
    if ('$like' in members) return void expect(actual, path).toMatch(new RegExp(members.$like as string));
    if ('$json' in members && typeof actual === 'string') {
      return void expect(JSON.parse(actual), path).toEqual(JSON.parse(resolve(expected, saved) as string));
    }
    if ('$exactly' in members) {
      const inner = members.$exactly as Record<string, Value>;
      const present = Object.keys((actual ?? {}) as object).filter(
        (k) => (actual as Record<string, unknown>)[k] !== undefined && k !== '$metadata',
      );
      const wanted = Object.keys(inner).filter((k) => inner[k] !== '<absent>');
      expect(present.sort(), `${path}: members`).toEqual(wanted.sort());
      for (const [k, v] of Object.entries(inner)) compare(v, (actual as Record<string, unknown>)[k], `${path}.${k}`, saved);
      return;
    }
    if (!Object.keys(members).some((k) => k.startsWith('$'))) {
      expect(actual, path).toBeTypeOf('object');
      for (const [k, v] of Object.entries(members)) compare(v, (actual as Record<string, unknown>)[k], `${path}.${k}`, saved);
      return;
    }
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${path} is a list`).toBe(true);
    const list = actual as unknown[];
    expect(list.length, `${path}.length`).toBe(expected.length);
    expected.forEach((v, i) => compare(v, list[i], `${path}.${i}`, saved));
    return;
  }
  const want = resolve(expected, saved);
  if (want instanceof Uint8Array) return void expect(asBytes(actual).equals(Buffer.from(want)), path).toBe(true);
  if (Array.isArray(want)) return void expect(actual, path).toEqual(want);
  expect(actual, path).toEqual(want);
}

function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (v instanceof Date) return v.getTime();
  return v;
}

const PSS_SALT: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };

function signatureVerifies(publicKeyDer: Buffer, algorithm: string, message: Buffer, signature: Buffer): boolean {
  const key = publicKeyOf(publicKeyDer);
  const hash = `sha${algorithm.slice(-3)}`;
  if (algorithm.startsWith('RSASSA_PSS')) {
    return verify(hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT[hash] }, signature);
  }
  if (algorithm.startsWith('RSASSA_PKCS1')) return verify(hash, message, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  return verify(hash, message, { key, dsaEncoding: 'der' }, signature);
}

function runCheck(step: CheckStep, saved: Saved): void {
  switch (step.check) {
    case 'equal':
      expect(normalize(resolve(step.a, saved))).toEqual(normalize(resolve(step.b, saved)));
      return;
    case 'notEqual':
      expect(normalize(resolve(step.a, saved))).not.toEqual(normalize(resolve(step.b, saved)));
      return;
    case 'length':
      expect((resolve(step.of, saved) as { length: number }).length).toBe(step.n);
      return;
    case 'contains':
    case 'notContains': {
      const list = resolve(step.list, saved) as Record<string, unknown>[];
      const item = resolve(step.item, saved) as Record<string, unknown>;
      const found = list.some((entry) => Object.entries(item).every(([k, v]) => entry[k] === v));
      expect(found, `${step.check} ${JSON.stringify(item)}`).toBe(step.check === 'contains');
      return;
    }
    case 'signatureVerifies': {
      const ok = signatureVerifies(
        asBytes(resolve(step.publicKey, saved)),
        step.algorithm,
        asBytes(resolve(step.message, saved)),
        asBytes(resolve(step.signature, saved)),
      );
      expect(ok, `${step.algorithm} signature verifies with node:crypto`).toBe(true);
    }
  }
}

/** Makes what the recorded test made on its side: random bytes or a key pair (DER). */
function runGenerate(step: GenerateStep, saved: Saved): void {
  if (step.generate === 'bytes') {
    saved[step.save] = { Bytes: randomBytes(step.n) };
    return;
  }
  const pair =
    step.generate === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: step.bits })
      : generateKeyPairSync('ec', { namedCurve: step.curve });
  saved[step.save] = {
    PrivateKey: pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
    PublicKey: pair.publicKey.export({ format: 'der', type: 'spki' }),
  };
}

const ESCAPE = /[.*+?^${}()|[\]\\]/g;

/**
 * A recorded message with `<key-material-id>` where AWS named a value the test cannot know
 * (the recording's placeholder for a 64-hex key material id), as a pattern.
 */
function messagePattern(template: string): RegExp {
  const parts = template.split('<key-material-id>').map((part) => part.replace(ESCAPE, '\\$&'));
  return new RegExp(`^${parts.join('[0-9a-f]{64}')}$`);
}

type Command = new (input: unknown) => Parameters<KMSClient['send']>[0];

async function runCall(step: CallStep, clients: Record<string, RecordingClient>, saved: Saved): Promise<void> {
  const { client, lastBody } = clients[step.region ?? 'default'];
  const Ctor = (kmsSdk as unknown as Record<string, Command | undefined>)[`${step.op}Command`];
  if (!Ctor) throw new Error(`no SDK command for ${step.op}`);
  const input = resolve(step.input ?? {}, saved);
  const expected = step.expect;
  let output: Record<string, unknown>;
  try {
    output = (await client.send(new Ctor(input))) as unknown as Record<string, unknown>;
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (!expected || !('error' in expected)) throw err;
    const body = JSON.parse(lastBody()) as Record<string, unknown>;
    expect({ status: e.$metadata?.httpStatusCode, name: e.name }, step.op).toEqual({ status: 400, name: expected.error });
    if (expected.message !== null && typeof expected.message === 'object') {
      expect(Object.keys(body).sort(), `${step.op} body`).toEqual(['__type', 'message']);
      expect(body.message, `${step.op} message`).toMatch(messagePattern(resolve(expected.message.$template, saved) as string));
      return;
    }
    const message = expected.message === null ? undefined : resolve(expected.message, saved);
    // AWS sends no message member at all where the recording has none.
    expect(body, `${step.op} body`).toEqual(message === undefined ? { __type: expected.error } : { __type: expected.error, message });
    return;
  }
  if (expected && 'error' in expected) throw new Error(`${step.op} succeeded; AWS answered ${expected.error}`);
  expect((output.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(200);
  if (step.save) saved[step.save] = output;
  if (expected) compare(expected.ok, output, step.op, saved);
}

function isCheck(step: Step): step is CheckStep {
  return 'check' in step;
}

describe('responses recorded from real AWS KMS, replayed against kmsd', () => {
  let t: TestKmsd;
  let clients: Record<string, RecordingClient>;

  beforeAll(async () => {
    t = await startKmsd();
    clients = { default: recordingClient(t, REGION), otherRegion: recordingClient(t, OTHER_REGION) };
  });
  afterAll(async () => {
    await t.close();
  });

  it('the table names each of the 136 recorded test cases once', () => {
    const ids = RECORDED_CASES.map((c) => c.id);
    expect(ids.length).toBe(136);
    expect(new Set(ids).size).toBe(136);
    for (const c of RECORDED_CASES) expect(Boolean(c.steps) !== Boolean(c.notReplayed), c.id).toBe(true);
  });

  for (const recorded of RECORDED_CASES.filter((c) => c.steps)) {
    it(recorded.id, async () => {
      const saved: Saved = {};
      for (const step of recorded.steps ?? []) {
        if (isCheck(step)) runCheck(step, saved);
        else if ('generate' in step) runGenerate(step, saved);
        else if ('advanceClock' in step) await t.advanceClock(step.advanceClock);
        else await runCall(step, clients, saved);
      }
    });
  }
});
