/**
 * The data directory holds the database and, unless KMSD_ROOT_KEY is set, the root key that
 * unwraps every key: it is created 0700 and its files 0600. A directory made by hand or
 * copied with looser modes is reported (not silently changed: the operator may share it on
 * purpose, and should know).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const DATABASE_FILE = 'kmsd.sqlite';
export const ROOT_KEY_FILE = 'root-key';
/** SQLite creates the -wal and -shm files with the database file's own mode. */
const DATA_FILES = [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, ROOT_KEY_FILE];

/** Creates the directory if missing (the store creates its database 0600); returns warnings about modes. */
export function prepareDataDir(dir: string): string[] {
  const warnings: string[] = [];
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } else {
    const mode = statSync(dir).mode & 0o777;
    if (mode & 0o077) {
      warnings.push(`data directory ${dir} has mode ${octal(mode)}: other users may read it; run chmod 700 ${dir}`);
    }
  }
  for (const name of DATA_FILES) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) {
      const fix = name === ROOT_KEY_FILE ? 'kmsd sets it to 0600' : `run chmod 600 ${file}`;
      warnings.push(`${file} has mode ${octal(mode)}: other users may read it; ${fix}`);
    }
  }
  return warnings;
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}
