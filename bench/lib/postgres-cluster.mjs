import { join } from 'node:path';
import { freePort } from './ports.mjs';

/** Where Debian's PostgreSQL 15 client and server programs live. */
export const pgBin = process.env.GEOSEARCH_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * The bench's own PostgreSQL+PostGIS cluster, run by scripts/services/postgres
 * with a private run folder and a free port, so that test suites running at
 * the same time (which stop and SIGKILL the shared cluster) never touch it.
 * Its data folder persists between runs: it caches the generated data sets.
 */
export function createPostgresCluster({ repoRoot, runDir, processes }) {
  const script = join(repoRoot, 'scripts', 'services', 'postgres');
  let env;

  const service = async (...args) => {
    const { stdout } = await processes.run(script, args, { env, label: `postgres ${args[0]}` });
    const url = stdout.match(/^DATABASE_URL=(.+)$/m)?.[1];
    return url;
  };

  const psqlArgs = (url) => ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-tA', '-F', '\t', url];

  const cluster = {
    port: 0,
    /** Starts the cluster (stopping a copy left running by an interrupted run first); returns its URL. */
    async start() {
      cluster.port = await freePort();
      env = { ...process.env, GEOSEARCH_RUN: runDir, GEOSEARCH_PG_PORT: String(cluster.port) };
      await service('stop');
      return service('start');
    },
    /** Fast shutdown; harmless when it is not running. */
    async stop() {
      if (env) await service('stop');
    },
    /** (Re)creates database `name` with PostGIS and pg_trgm; returns its URL. */
    createdb: (name) => service('createdb', name),
    /** The URL of database `name` (which may not exist). */
    url: (name) => `postgres://geosearch@127.0.0.1:${cluster.port}/${name}`,
    /** Runs SQL text; resolves with the tab-separated rows. */
    async sql(url, text, timeoutMs = 1_800_000) {
      const { stdout } = await processes.run(join(pgBin, 'psql'), [...psqlArgs(url), '-c', text], {
        timeoutMs,
        label: 'psql',
      });
      return stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split('\t'));
    },
    /** Runs a SQL file (several statements, psql meta-commands allowed); resolves with its output. */
    async sqlFile(url, file, timeoutMs = 1_800_000) {
      const { stdout } = await processes.run(join(pgBin, 'psql'), [...psqlArgs(url), '-f', file], {
        timeoutMs,
        label: 'psql',
      });
      return stdout;
    },
  };
  return cluster;
}
