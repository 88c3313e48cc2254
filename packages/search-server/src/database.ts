import { mkdirSync } from 'node:fs';
import type { Database } from '@geosearch/search-core';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { withPreparedStatements } from './prepared-statements.js';

/** The database the server runs on. */
export interface ServerDatabase {
  readonly backend: 'postgres' | 'pglite';
  readonly db: Kysely<Database>;
  /** Pool gauges (PostgreSQL only). */
  poolStats(): { total: number; idle: number; waiting: number } | undefined;
  close(): Promise<void>;
}

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** PostgreSQL URL; empty selects embedded PGlite. */
  readonly databaseUrl: string;
  readonly dataDir: string;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
}

/** Opens PostgreSQL (a pg pool behind Kysely) or embedded PGlite in `dataDir`. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<ServerDatabase> {
  if (!options.databaseUrl) {
    mkdirSync(options.dataDir, { recursive: true });
    // Loaded only when used: PGlite ships WebAssembly files that the single-file executable leaves out.
    const { openPglite } = await import('@geosearch/search-core/pglite');
    const embedded = await openPglite({ dataDir: options.dataDir });
    return { backend: 'pglite', db: embedded.db, poolStats: () => undefined, close: embedded.close };
  }
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.poolSize,
    connectionTimeoutMillis: 2_000,
    // PostgreSQL's default plan choice: statements are prepared (prepared-statements.ts), and
    // after five executions it keeps a generic plan where that is estimated no costlier. Core
    // writes its queries so that their generic plans are sound (search by point materializes
    // the covering things first); nearby and name searches, whose generic plans are estimated
    // far costlier, keep custom plans. The benchmark checks the plans on every data set.
    options: `-c statement_timeout=${options.statementTimeoutMs}`,
    application_name: 'search-server',
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener it would crash the process.
  pool.on('error', () => {});
  // A checked-out client has no pool listener: a connection lost between its queries (say, inside
  // a transaction) would emit an unhandled 'error'. The query in flight, or the next one, still
  // fails and is classified UNAVAILABLE; the pool drops the broken client on release.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: withPreparedStatements(pool) }) });
  return {
    backend: 'postgres',
    db,
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => db.destroy(),
  };
}
