import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { freePort } from './private-kafka.js';
import { privateRunDir, serviceScript } from './service-script.js';

const run = promisify(execFile);
const psql = '/usr/lib/postgresql/15/bin/psql';
const pgIsReady = '/usr/lib/postgresql/15/bin/pg_isready';

/** A PostgreSQL cluster of one test file: its own run folder and port, so killing it disturbs no one. */
export interface PrivatePostgres {
  readonly port: number;
  /** (Re)creates database `name` with PostGIS and pg_trgm; returns its URL (direct, not proxied). */
  createdb(name: string): Promise<string>;
  /** Runs `scripts/services/postgres start|stop|kill` for this cluster (`kill` is SIGKILL of the postmaster). */
  control(command: 'start' | 'stop' | 'kill'): Promise<string>;
  /** True when the cluster accepts connections (pg_isready), asked directly, not through any proxy. */
  accepting(): Promise<boolean>;
  /** Runs one SQL statement in `database` as the owner and returns the rows as unaligned text lines. */
  query(database: string, text: string): Promise<string[]>;
  /** Stops the cluster and removes its folder. */
  close(): Promise<void>;
}

/** Starts a private real PostgreSQL + PostGIS cluster with `scripts/services/postgres`. */
export async function startPrivatePostgres(name: string): Promise<PrivatePostgres> {
  const runDir = privateRunDir(name);
  const port = await freePort();
  const script = serviceScript(
    'postgres',
    { GEOSEARCH_RUN: runDir, GEOSEARCH_PG_PORT: String(port) },
    180_000,
  );
  await script('start');
  return {
    port,
    createdb: async (database) => {
      const url = (await script('createdb', database)).match(/^DATABASE_URL=(.+)$/m)?.[1];
      if (!url) throw new Error(`createdb ${database} printed no DATABASE_URL`);
      return url;
    },
    control: (command) => script(command),
    accepting: () =>
      run(pgIsReady, ['-q', '-h', '127.0.0.1', '-p', String(port), '-t', '1']).then(
        () => true,
        () => false,
      ),
    query: async (database, text) => {
      const args = ['-X', '-tA', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port)];
      const { stdout } = await run(psql, [...args, '-U', 'geosearch', '-d', database, '-c', text], {
        encoding: 'utf8',
      });
      return stdout.split('\n').filter((line) => line !== '');
    },
    close: async () => {
      await script('stop');
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
