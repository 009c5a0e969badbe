/**
 * A throwaway PostgreSQL server for one test file: Debian's postgresql 15 binaries, `initdb`
 * into a fresh temporary directory owned by the `postgres` user (PostgreSQL refuses to run
 * as root), listening only on a Unix socket in that directory (no TCP port to collide on).
 * `stop()` shuts it down and removes the directory. No test depends on a server that was
 * already running (Debian's package may start its own cluster: it is never used).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

const BIN = '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  /** The socket directory (the `host` of a connection). */
  socketDir: string;
  /** A new, empty database; its connection URL. */
  createDatabase(): Promise<string>;
  /** Stops the server at once, as a crash would, keeping its data (for outage tests). */
  kill(): void;
  /** Starts a killed server again on the same data and socket. */
  restart(): void;
  stop(): void;
}

function asPostgres(command: string, args: string[]): void {
  execFileSync('runuser', ['-u', 'postgres', '--', join(BIN, command), ...args], { stdio: 'pipe' });
}

export function startPostgres(): TestPostgres {
  // Under /tmp rather than $TMPDIR: the postgres user must reach it, and a socket path must
  // stay short (about 100 bytes).
  const dir = mkdtempSync('/tmp/kmsd-pg-');
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
  chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  let databases = 0;
  asPostgres('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  // -k: the socket goes in the temporary directory; listen_addresses='': no TCP at all.
  const start = () => asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-k ${dir} -c listen_addresses=''`, 'start']);
  const kill = () => asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  start();
  const url = (db: string) => `postgres://postgres@localhost/${db}?host=${encodeURIComponent(dir)}`;
  return {
    socketDir: dir,
    async createDatabase() {
      const name = `kmsd_test_${++databases}`;
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    kill,
    restart: start,
    stop() {
      try {
        kill();
      } catch {
        // already stopped by kill()
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
