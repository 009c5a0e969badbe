/**
 * Which store kmsd runs on, and where its root key comes from:
 *
 * - `postgres://…` / `postgresql://…`: a PostgreSQL database that several kmsd nodes share.
 *   Every node needs the same root key, so it must be given (KMSD_ROOT_KEY or
 *   --root-key-file); kmsd never generates one there.
 * - `sqlite:<path>`: an SQLite file; the root key, unless given, is `root-key` beside it.
 * - neither: `<data-dir>/kmsd.sqlite` (default ./data), or memory with --in-memory.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RootKey } from '../keystores/root-key.js';
import { PostgresStore } from '../store/postgres-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/store.js';
import { DATABASE_FILE, prepareDataDir } from './data-dir.js';
import { checkRootKey } from './root-key-check.js';

export interface StoreChoice {
  /** `postgres://…`, `postgresql://…` or `sqlite:<path>`; otherwise dataDir / inMemory decide. */
  store?: string;
  dataDir?: string;
  inMemory?: boolean;
  /** Base64 of 32 bytes. */
  rootKey?: string;
  /** A file holding the base64 root key (read, never created). */
  rootKeyFile?: string;
}

export interface ChosenStore {
  store: Store;
  /** Applies the store's migrations; an error names the store (never its password). */
  open(): Promise<void>;
  rootKey: RootKey;
  /** Names where the root key came from and what it must match, for the start-up check. */
  rootKeyCheck: { source: string; holder: string };
  warnings: string[];
}

export function chooseStore(o: StoreChoice): ChosenStore {
  const chosen = pickStore(o);
  const name = o.store !== undefined ? redact(o.store) : o.inMemory ? 'in memory' : join(o.dataDir ?? './data', DATABASE_FILE);
  return {
    ...chosen,
    open: () =>
      chosen.store.open().catch((err: unknown) => {
        throw new Error(`cannot open the store ${name}: ${err instanceof Error ? err.message : String(err)}`);
      }),
  };
}

/**
 * Resolves the store and root key (creating the data directory and root-key file), applies
 * migrations and checks the root key, then closes the store: what a primary does once before
 * forking workers, so that they never race for it. Returns the warnings about the data directory.
 */
export async function prepareStore(o: StoreChoice): Promise<string[]> {
  const chosen = chooseStore(o);
  try {
    await chosen.open();
    await checkRootKey(chosen.store, chosen.rootKey, chosen.rootKeyCheck);
  } finally {
    await chosen.store.close();
  }
  return chosen.warnings;
}

function pickStore(o: StoreChoice): Omit<ChosenStore, 'open'> {
  const given = givenRootKey(o);
  const spec = o.store;
  if (spec !== undefined && /^postgres(ql)?:\/\//.test(spec)) {
    if (!given) {
      throw new Error('with a PostgreSQL store the root key must be given, the same on every node: set KMSD_ROOT_KEY or --root-key-file');
    }
    return { store: new PostgresStore(spec), rootKey: given.key, rootKeyCheck: { source: given.source, holder: 'database' }, warnings: [] };
  }
  if (spec !== undefined && spec.startsWith('sqlite:')) {
    const file = spec.slice('sqlite:'.length);
    if (file === '') throw new Error('--store sqlite:<path> needs a file path');
    const dir = dirname(file);
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Created before SQLite opens it, so the database starts out 0600.
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    const key = given ?? { key: RootKey.fromDataDir(dir), source: `${join(dir, 'root-key')}` };
    return { store: new SqliteStore(file), rootKey: key.key, rootKeyCheck: { source: key.source, holder: 'database' }, warnings: [] };
  }
  if (spec !== undefined) throw new Error(`unknown store ${redact(spec)}: use postgres://… or sqlite:<path>`);
  if (o.inMemory) {
    return {
      store: new SqliteStore(':memory:'),
      rootKey: given?.key ?? RootKey.random(),
      rootKeyCheck: { source: 'KMSD_ROOT_KEY', holder: 'database' },
      warnings: [],
    };
  }
  const dataDir = o.dataDir ?? './data';
  const warnings = prepareDataDir(dataDir);
  return {
    store: new SqliteStore(join(dataDir, DATABASE_FILE)),
    rootKey: given?.key ?? RootKey.fromDataDir(dataDir),
    rootKeyCheck: { source: 'KMSD_ROOT_KEY or <data-dir>/root-key', holder: 'data directory' },
    warnings,
  };
}

function givenRootKey(o: StoreChoice): { key: RootKey; source: string } | undefined {
  if (o.rootKey) return { key: RootKey.fromBase64(o.rootKey), source: 'KMSD_ROOT_KEY' };
  if (o.rootKeyFile) {
    let text: string;
    try {
      text = readFileSync(o.rootKeyFile, 'utf8');
    } catch (err) {
      throw new Error(`cannot read the root key file ${o.rootKeyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return { key: RootKey.fromBase64(text.trim()), source: o.rootKeyFile };
  }
  return undefined;
}

/** A store URL may carry a password: never print it. */
export function redact(spec: string): string {
  return spec.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}
