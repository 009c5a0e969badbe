/**
 * What every fuzz file shares: a real kmsd on an SQLite file (so the test can read every
 * stored row through its own read-only connection), a few real resources made with the SDKs
 * (keys of several specs, an alias, a grant, an external key store, a cluster with an HSM),
 * and the checks run on every generated request:
 *
 * - no 5xx (KMSInternalException is for genuine store failures; none happen here);
 * - an error's `__type` is one the model lists for the operation, or one of COMMON_ERRORS;
 * - a rejected request changed no stored row (snapshot before and after);
 * - the server still answers /health, and answered within REQUEST_TIMEOUT_MS.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import {
  CreateAliasCommand,
  CreateCustomKeyStoreCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GenerateMacCommand,
  GetKeyPolicyCommand,
  GetPublicKeyCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
} from '@aws-sdk/client-kms';
import type { CreateKeyCommandInput } from '@aws-sdk/client-kms';
import { CreateClusterCommand, CreateHsmCommand, DescribeBackupsCommand } from '@aws-sdk/client-cloudhsm-v2';
import { DATABASE_FILE } from '../../src/server/data-dir.js';
import { MAX_BODY_BYTES } from '../../src/gateway/http.js';
import type { ServiceModel } from '../../src/core/shape.js';
import { DEV, rawRequest, removeDir, startKmsd } from '../helpers/kmsd.js';
import type { TestKmsd } from '../helpers/kmsd.js';
import { startXksProxy } from '../helpers/xks-proxy.js';
import type { TestXksProxy } from '../helpers/xks-proxy.js';
import { ModelInputs } from './model-inputs.js';
import type { ResourcePool } from './model-inputs.js';

/** Fixed so CI repeats the same cases; FUZZ_SEED / FUZZ_RUNS explore further by hand. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261202);
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 25);
/** Seeding makes RSA keys and a cluster: slow on a loaded 2-core machine. */
export const SETUP_TIMEOUT_MS = 180_000;
/** A request unanswered this long counts as a hang. */
export const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Errors any operation may answer besides its model's list: the front end's own (request
 * shape and constraints) and the authorization and rate checks every call goes through.
 */
export const COMMON_ERRORS = ['ValidationException', 'SerializationException', 'AccessDeniedException', 'ThrottlingException'];
/**
 * Errors outside the model that kmsd answers on purpose, each for one documented gap
 * (docs/compatibility.md), recognised by its message.
 */
const DOCUMENTED_GAPS: { type: string; message: RegExp }[] = [
  // Recipient (Nitro Enclaves attestation) is not built.
  { type: 'UnsupportedOperationException', message: /^Recipient \(Nitro Enclaves attestation\) is not supported by kmsd\.$/ },
  // AWS refuses alias/aws/ names with this error (no message), though the model lists it nowhere.
  { type: 'NotAuthorizedException', message: /^$/ },
];
/** 500s: never acceptable from generated input. */
const INTERNAL_ERRORS = new Set(['KMSInternalException', 'CloudHsmInternalFailureException']);

/** Long enough that no background transition (cluster, HSM, key store, replica) ends during the run. */
const TRANSITION_MS = 3_600_000;

export interface FuzzServer {
  t: TestKmsd;
  pool: ResourcePool;
  /** Every stored row except kms_key_last_usage, which the periodic flush writes on its own. */
  snapshot(): string;
  close(): Promise<void>;
}

const XKS_ENDPOINT = 'https://xks.example.com';

export async function startFuzzServer(): Promise<FuzzServer> {
  const proxy = await startXksProxy();
  const t = await startKmsd({
    persistent: true,
    config: {
      accounts: [{ accountId: DEV.accountId, credentials: [{ accessKeyId: DEV.accessKeyId, secretAccessKey: DEV.secretAccessKey }] }],
      cloudhsm: { transitionMs: TRANSITION_MS },
    },
    keyStoreTransitionMs: TRANSITION_MS,
    multiRegionTransitionMs: TRANSITION_MS,
    xksProxyEndpoints: { [XKS_ENDPOINT]: proxy.url },
  });
  const db = new Database(join(t.dataDir ?? '', DATABASE_FILE), { readonly: true, fileMustExist: true });
  const rows = db.prepare<
    [],
    { tbl: string; account: string; region: string; id: string; data: string; version: number; due: number | null }
  >(
    `SELECT tbl, account, region, id, data, version, due FROM kmsd_rows WHERE tbl <> 'kms_key_last_usage' ORDER BY tbl, account, region, id`,
  );
  const pool = await seedResources(t, proxy);
  return {
    t,
    pool,
    snapshot: () =>
      rows
        .all()
        .map((r) => JSON.stringify(r))
        .join('\n'),
    async close() {
      db.close();
      await t.close();
      await proxy.close();
      removeDir(t.dataDir);
    },
  };
}

async function seedResources(t: TestKmsd, proxy: TestXksProxy): Promise<ResourcePool> {
  const kms = t.kms();
  const hsm = t.cloudhsm();
  const createKey = async (input: CreateKeyCommandInput) => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand(input));
    if (!KeyMetadata?.KeyId || !KeyMetadata.Arn) throw new Error('CreateKey returned no key');
    return { id: KeyMetadata.KeyId, arn: KeyMetadata.Arn };
  };
  const symmetric = await createKey({});
  const rsa = await createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
  const signing = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
  const agreement = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' });
  const hmac = await createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
  const external = await createKey({ Origin: 'EXTERNAL' });
  const multiRegion = await createKey({ MultiRegion: true });
  const disabled = await createKey({});
  await kms.send(new DisableKeyCommand({ KeyId: disabled.id }));
  const pendingDeletion = await createKey({});
  await kms.send(new ScheduleKeyDeletionCommand({ KeyId: pendingDeletion.id, PendingWindowInDays: 7 }));
  const keys = [symmetric, rsa, signing, agreement, hmac, external, multiRegion, disabled, pendingDeletion];

  await kms.send(new CreateAliasCommand({ AliasName: 'alias/fuzz', TargetKeyId: symmetric.id }));
  const grant = await kms.send(
    new CreateGrantCommand({
      KeyId: symmetric.id,
      GranteePrincipal: `arn:aws:iam::${DEV.accountId}:root`,
      Operations: ['Encrypt', 'Decrypt'],
    }),
  );
  const store = await kms.send(
    new CreateCustomKeyStoreCommand({
      CustomKeyStoreName: 'fuzz-xks',
      CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
      XksProxyConnectivity: 'PUBLIC_ENDPOINT',
      XksProxyUriEndpoint: XKS_ENDPOINT,
      XksProxyUriPath: proxy.uriPath,
      XksProxyAuthenticationCredential: { AccessKeyId: proxy.credential.accessKeyId, RawSecretAccessKey: proxy.credential.secretAccessKey },
    }),
  );

  const plaintext = Buffer.from('fuzz plaintext');
  const b64 = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array()).toString('base64');
  const withContext = await kms.send(
    new EncryptCommand({ KeyId: symmetric.id, Plaintext: plaintext, EncryptionContext: { purpose: 'fuzz' } }),
  );
  const plain = await kms.send(new EncryptCommand({ KeyId: symmetric.id, Plaintext: plaintext }));
  const rsaCiphertext = await kms.send(
    new EncryptCommand({ KeyId: rsa.id, Plaintext: plaintext, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
  );
  const signature = await kms.send(new SignCommand({ KeyId: signing.id, Message: plaintext, SigningAlgorithm: 'ECDSA_SHA_256' }));
  const mac = await kms.send(new GenerateMacCommand({ KeyId: hmac.id, Message: plaintext, MacAlgorithm: 'HMAC_SHA_256' }));
  const publicKey = await kms.send(new GetPublicKeyCommand({ KeyId: agreement.id }));
  const policy = await kms.send(new GetKeyPolicyCommand({ KeyId: symmetric.id }));

  const { Cluster } = await hsm.send(
    new CreateClusterCommand({ HsmType: 'hsm1.medium', SubnetIds: ['subnet-0123abcd', 'subnet-4567cdef'] }),
  );
  const clusterId = Cluster?.ClusterId ?? '';
  await t.advanceClock(TRANSITION_MS / 1000 + 1);
  const created = await hsm.send(new CreateHsmCommand({ ClusterId: clusterId, AvailabilityZone: 'us-east-1a' }));
  await t.advanceClock(TRANSITION_MS / 1000 + 1);
  const backups = await hsm.send(new DescribeBackupsCommand({}));

  return {
    keyId: [
      ...keys.flatMap((k) => [k.id, k.arn]),
      'alias/fuzz',
      `arn:aws:kms:us-east-1:${DEV.accountId}:alias/fuzz`,
      // Well-formed but absent, and in another account or Region.
      '00000000-0000-4000-8000-000000000000',
      symmetric.arn.replace(DEV.accountId, '444455556666'),
      symmetric.arn.replace('us-east-1', 'eu-west-1'),
    ],
    aliasName: ['alias/fuzz', 'alias/fuzz-new', 'alias/aws/kms'],
    grantId: [grant.GrantId ?? ''],
    grantToken: [grant.GrantToken ?? ''],
    customKeyStoreId: [store.CustomKeyStoreId ?? '', 'cks-0123456789abcdef0'],
    clusterId: [clusterId, 'cluster-234567abcde'],
    hsmId: [created.Hsm?.HsmId ?? '', 'hsm-234567abcde'],
    backupId: [...(backups.Backups ?? []).map((b) => b.BackupId ?? ''), 'backup-234567abcde'],
    ciphertext: [
      b64(withContext.CiphertextBlob),
      b64(plain.CiphertextBlob),
      b64(rsaCiphertext.CiphertextBlob),
      b64(signature.Signature),
      b64(mac.Mac),
      b64(publicKey.PublicKey),
    ],
    policy: [policy.Policy ?? '{}'],
    principal: [`arn:aws:iam::${DEV.accountId}:root`, `arn:aws:iam::${DEV.accountId}:user/nobody`],
  };
}

export type ServiceName = 'kms' | 'cloudhsm';

/** How the fuzz reaches one service, and which errors its operations may answer. */
export interface FuzzTarget {
  service: ServiceName;
  model: ServiceModel;
}

/** Counts cases per operation, printed at the end of each file. */
export class CaseCounter {
  private readonly counts = new Map<string, number>();

  add(operation: string): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }

  report(title: string): string {
    const lines = [...this.counts].map(([op, n]) => `  ${op.padEnd(40)} ${n}`);
    const total = [...this.counts.values()].reduce((a, b) => a + b, 0);
    return `${title}: ${total} cases over ${this.counts.size} operations\n${lines.join('\n')}`;
  }
}

function excerpt(body: string): string {
  return body.length > 600 ? `${body.slice(0, 600)}… (${body.length} chars)` : body;
}

function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return `before: ${excerpt(x[i] ?? '(none)')}\nafter:  ${excerpt(y[i] ?? '(none)')}`;
  }
  return '(no difference)';
}

/**
 * Sends one generated body to `operation`, signed, and checks the answer. Throws (failing the
 * property) with the request and response when a check fails.
 */
export async function checkCase(
  server: FuzzServer,
  target: FuzzTarget,
  operation: string,
  body: string | Buffer,
  targetName?: string,
): Promise<number> {
  const shown = typeof body === 'string' ? body : `(bytes) ${body.toString('hex')}`;
  const prefix = target.model.targetPrefix;
  const before = server.snapshot();
  let res;
  try {
    res = await rawRequest(server.t.url, {
      service: target.service,
      target: targetName ?? `${prefix}.${operation}`,
      body,
      signingDate: server.t.serviceNow(),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new Error(`${operation}: no answer (${String(err)}) to ${excerpt(shown)}`);
  }
  const type = typeof res.body.__type === 'string' ? res.body.__type : undefined;
  const fail = (why: string) =>
    new Error(`${operation}: ${why}\nrequest: ${excerpt(shown)}\nresponse ${res.status}: ${excerpt(JSON.stringify(res.body))}`);
  if (res.status >= 500 || (type && INTERNAL_ERRORS.has(type))) throw fail('server error');
  if (res.status !== 200) {
    // Past the 1 MiB body limit (docs/compatibility.md), before anything is parsed.
    const tooLarge = Buffer.byteLength(body) > MAX_BODY_BYTES && res.status === 413 && type === 'RequestEntityTooLargeException';
    if (res.status !== 400 && !tooLarge) throw fail(`status ${res.status}, expected 400 for a client error`);
    const allowed = [
      ...(tooLarge ? ['RequestEntityTooLargeException'] : []),
      ...(target.model.operations[operation]?.errors ?? []),
      ...COMMON_ERRORS,
      ...(targetName ? ['UnknownOperationException'] : []),
    ];
    const message = String(res.body.message ?? res.body.Message ?? '');
    const gap = DOCUMENTED_GAPS.some((g) => g.type === type && g.message.test(message));
    if (!type || !(allowed.includes(type) || gap)) throw fail(`error ${type ?? '(none)'} is not one the model lists for ${operation}`);
    const after = server.snapshot();
    if (after !== before) throw fail(`a rejected request changed the store:\n${firstDifference(before, after)}`);
  }
  const health = await fetch(`${server.t.url}/health`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (health.status !== 200) throw fail(`/health answered ${health.status} afterwards`);
  return res.status;
}

/**
 * One test per operation, FUZZ_RUNS generated requests each (seeded from FUZZ_SEED plus
 * `seedOffset` and the operation's index), with the case counts printed at the end.
 */
export function fuzzEveryOperation(title: string, target: FuzzTarget, operations: readonly string[], seedOffset: number): void {
  const counter = new CaseCounter();
  let server: FuzzServer;
  let inputs: ModelInputs;
  beforeAll(async () => {
    server = await startFuzzServer();
    inputs = new ModelInputs(target.model, server.pool);
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    console.log(counter.report(title));
    await server.close();
  });
  describe(`every ${title} operation under generated input`, () => {
    operations.forEach((operation, index) => {
      it(operation, async () => {
        const statuses = new Set<number>();
        await fc.assert(
          fc.asyncProperty(inputs.request(operation), async (input) => {
            counter.add(operation);
            statuses.add(await checkCase(server, target, operation, JSON.stringify(input)));
          }),
          { seed: FUZZ_SEED + seedOffset + index, numRuns: FUZZ_RUNS, endOnFailure: true },
        );
        // Some generated requests must be refused, or the generator is not reaching the checks.
        expect(statuses.has(400)).toBe(true);
      });
    });
  });
}
