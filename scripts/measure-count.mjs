#!/usr/bin/env node
// How the store's count of one scope, and a CreateKey's store work (count, then a transaction
// inserting the key's material and the key), behave as the scope grows (issue 10): fills one
// account and Region of a table with ROWS rows and times both at empty and full, on a SQLite
// file and (with --postgres) on a throwaway PostgreSQL. On PostgreSQL it also sends CONCURRENT such inserts at once from three
// stores (nodes) and reports how many of their transactions ran again (serialization
// failures, store.ts). A measurement to read, not a test: nothing is asserted. Runs the
// built code (npm run build first).
//
//   node scripts/measure-count.mjs [--postgres]
// Environment: MEASURE_ROWS (default 100000), MEASURE_CONCURRENT (default 30).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { SqliteStore } from '../dist/store/sqlite-store.js';
import { PostgresStore } from '../dist/store/postgres-store.js';
import { startPostgres } from './bench-postgres.mjs';

const ROWS = Number(process.env.MEASURE_ROWS ?? 100_000);
const CONCURRENT = Number(process.env.MEASURE_CONCURRENT ?? 30);
const TABLE = 'kms_keys';
const MATERIAL_TABLE = 'kms_key_material';
const A = { account: '111111111111', region: 'us-east-1' };
const OTHER = { account: '222222222222', region: 'us-east-1' };
const row = (i) => ({ keyId: `k${i}`, description: 'measured' });

/** Median of `runs` timings of `fn`, in ms. */
async function median(runs, fn) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn(i);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)];
}

let created = 0;
/** Transaction functions run, first attempts and reruns. */
let attempts = 0;
/**
 * A CreateKey's store work: the quota count, then a transaction that inserts the key's
 * material and the key (create-only).
 */
async function createOnce(store) {
  const t = store.table(TABLE);
  await t.count(A);
  const id = `created-${process.pid}-${++created}`;
  await store.transaction(async () => {
    attempts++;
    await store.table(MATERIAL_TABLE).insert(A, id, row(id));
    await t.insert(A, id, row(id));
  });
}

async function measure(name, store, fill) {
  const t = store.table(TABLE);
  await t.insert(OTHER, 'elsewhere', row(0));
  const emptyCount = await median(200, () => t.count(A));
  const emptyCreate = await median(200, () => createOnce(store));
  await fill(store);
  const n = await t.count(A);
  const fullCount = await median(200, () => t.count(A));
  const fullCreate = await median(200, () => createOnce(store));
  console.log(
    `${name}: count() ${emptyCount.toFixed(3)} ms empty, ${fullCount.toFixed(3)} ms at ${n} rows; ` +
      `count + insert ${emptyCreate.toFixed(3)} ms empty, ${fullCreate.toFixed(3)} ms full ` +
      `(rate at full / rate empty: ${(emptyCreate / fullCreate).toFixed(2)})`,
  );
}

async function sqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'kmsd-measure-'));
  try {
    const store = new SqliteStore(join(dir, 'kmsd.sqlite'));
    await store.open();
    await measure('SQLite file', store, async (s) => {
      const t = s.table(TABLE);
      for (let i = 0; i < ROWS; i += 1000) {
        await s.transaction(async () => {
          for (let j = i; j < Math.min(i + 1000, ROWS); j++) await t.insert(A, `fill-${j}`, row(j));
        });
      }
    });
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgres() {
  const server = startPostgres();
  if (server.skipped) {
    console.log(`PostgreSQL: skipped, ${server.skipped}`);
    return;
  }
  try {
    const url = server.createDatabase('kmsd_measure');
    const store = new PostgresStore(url);
    await store.open();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    // Filled by SQL (the store's triggers, if any, fire for each row all the same).
    await measure('PostgreSQL', store, () =>
      admin.query(
        `INSERT INTO kmsd_rows (tbl, account, region, id, data) SELECT $1, $2, $3, 'fill-' || i, '{}' FROM generate_series(1, $4) i`,
        [TABLE, A.account, A.region, ROWS],
      ),
    );
    const nodes = [store, new PostgresStore(url), new PostgresStore(url)];
    await Promise.all(nodes.slice(1).map((s) => s.open()));
    for (let round = 0; round < 3; round++) {
      attempts = 0;
      const start = performance.now();
      await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => createOnce(nodes[i % 3])));
      const ms = performance.now() - start;
      console.log(`PostgreSQL, ${CONCURRENT} at once from 3 stores: ${ms.toFixed(0)} ms, ${attempts - CONCURRENT} transactions ran again`);
    }
    await admin.end();
    await Promise.all(nodes.map((s) => s.close()));
  } finally {
    server.stop();
  }
}

await sqlite();
if (process.argv.includes('--postgres')) await postgres();
