// A throwaway PostgreSQL server for `npm run bench`, made the way test/helpers/postgres.ts
// makes the tests' one (plain JS here, so the bench needs no TypeScript): Debian's
// postgresql 15 binaries, `initdb` into a fresh directory under /tmp, run as the `postgres`
// user when the bench runs as root (PostgreSQL refuses to run as root), listening only on a
// Unix socket in that directory (no TCP port to collide on). stop() shuts it down and
// removes the directory; so does the bench's exit, should it fail half-way.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const BIN = '/usr/lib/postgresql/15/bin';

/** Runs a PostgreSQL program as the `postgres` user when we are root, else as ourselves. */
function asPostgres(command, args) {
  const program = join(BIN, command);
  if (process.getuid() === 0) execFileSync('runuser', ['-u', 'postgres', '--', program, ...args], { stdio: 'pipe' });
  else execFileSync(program, args, { stdio: 'pipe' });
}

/** Starts the server; returns { url(db), createDatabase(name), stop() }, or { skipped } without the binaries. */
export function startPostgres() {
  if (!existsSync(join(BIN, 'initdb'))) return { skipped: `PostgreSQL 15 is not installed (${BIN})` };
  // Under /tmp rather than $TMPDIR: the postgres user must reach it, and a socket path must
  // stay short (about 100 bytes).
  const dir = mkdtempSync('/tmp/kmsd-bench-pg-');
  const data = join(dir, 'data');
  let running = false;
  const stop = () => {
    try {
      if (running) asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      running = false;
      rmSync(dir, { recursive: true, force: true });
      process.off('exit', stop);
    }
  };
  process.on('exit', stop);
  try {
    if (process.getuid() === 0) {
      const id = (flag) => Number(execFileSync('id', [flag, 'postgres']).toString());
      chownSync(dir, id('-u'), id('-g'));
    }
    asPostgres('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    // -k: the socket goes in the temporary directory; listen_addresses='': no TCP at all.
    asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-k ${dir} -c listen_addresses=''`, 'start']);
    running = true;
  } catch (err) {
    stop();
    throw new Error(`PostgreSQL did not start: ${err.stderr?.toString().trim() || err.message}`);
  }
  const url = (db) => `postgres://postgres@localhost/${db}?host=${encodeURIComponent(dir)}`;
  return {
    url,
    /** A new, empty database; its connection URL. */
    createDatabase(name) {
      asPostgres('createdb', ['-h', dir, '-U', 'postgres', name]);
      return url(name);
    },
    stop,
  };
}
