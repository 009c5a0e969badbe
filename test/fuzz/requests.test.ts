/**
 * Fuzz of what reaches the gateway before any operation (issue 10): signed requests with
 * bodies that are not a JSON object (random bytes, invalid UTF-8, truncated or top-level
 * scalar JSON, deep nesting) and X-Amz-Target values naming no operation. Same checks as
 * the per-operation fuzz (fuzz-harness.ts); a fixed seed.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { KMS_MODEL, KMS_OPERATIONS } from '../../src/generated/kms.js';
import { CLOUDHSM_MODEL, CLOUDHSM_OPERATIONS } from '../../src/generated/cloudhsmv2.js';
import { CaseCounter, checkCase, FUZZ_RUNS, FUZZ_SEED, SETUP_TIMEOUT_MS, startFuzzServer } from './fuzz-harness.js';
import type { FuzzServer, FuzzTarget } from './fuzz-harness.js';
import { anyJson, nastyString } from './model-inputs.js';

const KMS: FuzzTarget = { service: 'kms', model: KMS_MODEL };
const CLOUDHSM: FuzzTarget = { service: 'cloudhsm', model: CLOUDHSM_MODEL };
const counter = new CaseCounter();
let server: FuzzServer;

beforeAll(async () => {
  server = await startFuzzServer();
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  console.log(counter.report('Gateway fuzz'));
  await server.close();
});

/** Bodies that are not a JSON object of members. */
const badBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
  // Invalid UTF-8 inside a JSON string.
  fc.constantFrom(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), Buffer.from([0xc3, 0x28])),
  anyJson().map((v) => JSON.stringify(v) ?? 'null'),
  fc.constantFrom('', '{', '{"KeyId":', '{"KeyId":"a"', '[]', '"x"', '1e999', 'null', 'true', '{"a":1,"a":2}', '\ufeff{}', '{} {}'),
  fc.tuple(fc.string({ maxLength: 30 }), fc.nat(30)).map(([s, n]) => JSON.stringify({ KeyId: s }).slice(0, n)),
);

// The store check is only worth something if a write shows in the snapshot.
it('the store snapshot sees an accepted write', async () => {
  const before = server.snapshot();
  await server.t.kms().send(new CreateKeyCommand({ Description: 'seen by the snapshot' }));
  expect(server.snapshot()).not.toBe(before);
});

describe('the gateway under generated requests', () => {
  const cases: [string, FuzzTarget, readonly string[]][] = [
    ['KMS', KMS, KMS_OPERATIONS],
    ['CloudHSM V2', CLOUDHSM, CLOUDHSM_OPERATIONS],
  ];
  cases.forEach(([name, target, operations], index) => {
    it(`${name}: bodies that are not a JSON object`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...operations), badBody, async (operation, body) => {
          counter.add(`${name} bad body`);
          await checkCase(server, target, operation, body);
        }),
        { seed: FUZZ_SEED + 2000 + index, numRuns: FUZZ_RUNS * 4, endOnFailure: true },
      );
    });

    it(`${name}: targets naming no operation`, async () => {
      const known = new Set<string>(operations);
      const prefix = target.model.targetPrefix;
      const targetName = fc.oneof(
        fc.oneof(fc.string({ maxLength: 30 }), nastyString()).map((op) => `${prefix}.${op}`),
        fc.constantFrom(...operations).map((op) => `${prefix}.${op.toLowerCase()}`),
        fc.constantFrom(...operations).map((op) => `${prefix}${op}`),
        fc.constantFrom(...operations).map((op) => `${prefix === 'TrentService' ? 'BaldrApiService' : 'TrentService'}.${op}Foo`),
        fc.constantFrom(`${prefix}.`, prefix, '.', 'TrentService.__proto__', 'BaldrApiService.constructor'),
      );
      await fc.assert(
        fc.asyncProperty(
          // Header values are printable ASCII; a client cannot send others.
          targetName.filter((t) => /^[\x20-\x7e]*$/.test(t) && !known.has(t.slice(prefix.length + 1))),
          anyJson(),
          async (t, body) => {
            counter.add(`${name} unknown target`);
            await checkCase(server, target, t, JSON.stringify(body) ?? 'null', t);
          },
        ),
        { seed: FUZZ_SEED + 3000 + index, numRuns: FUZZ_RUNS * 2, endOnFailure: true },
      );
    });
  });
});
