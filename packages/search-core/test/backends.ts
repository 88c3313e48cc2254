import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import type { Database } from '../src/database.js';
import { migrateToLatest } from '../src/migrate.js';
import { openPglite } from '../src/pglite.js';

/** A backend the suite runs on. */
export type Backend = 'pglite' | 'postgres';

/** A fresh database on one backend, and how to dispose of it. */
export interface TestDatabase {
  readonly backend: Backend;
  readonly db: Kysely<Database>;
  /**
   * On PostgreSQL, a second Kysely with its own pool onto the same database
   * (the caller destroys it); on PGlite, which has one connection, undefined.
   */
  readonly connectAgain: (() => Kysely<Database>) | undefined;
  close(): Promise<void>;
}

/** Options of {@link openTestDatabase}. */
export interface OpenTestDatabaseOptions {
  /**
   * True: migrated to the latest schema version, with no things. False:
   * PostGIS and pg_trgm available but no geosearch tables (migration tests).
   */
  readonly migrated: boolean;
}

/** The backends the suite runs on: PGlite always; PostgreSQL when DATABASE_URL is set. */
export const backends: readonly Backend[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

if (!process.env.DATABASE_URL && process.env.GEOSEARCH_REQUIRE_POSTGRES === '1') {
  throw new Error(
    'GEOSEARCH_REQUIRE_POSTGRES=1 but DATABASE_URL is not set: start scripts/services/postgres',
  );
}

/**
 * Opens a fresh database: an in-memory PGlite copied from the template the
 * global setup made, or a private schema on the PostgreSQL at DATABASE_URL
 * (PostGIS and pg_trgm live in `public`).
 */
export async function openTestDatabase(
  backend: Backend,
  options: OpenTestDatabaseOptions,
): Promise<TestDatabase> {
  const database = backend === 'pglite' ? await openPgliteCopy(options) : await openPostgresSchema();
  if (options.migrated && (backend === 'postgres' || !inject('pgliteTemplates'))) {
    await migrateToLatest(database.db);
  }
  return database;
}

/** Deletes every thing (and so every thing part), leaving the schema in place. */
export async function clearThings(db: Kysely<Database>): Promise<void> {
  await db.deleteFrom('things').execute();
}

async function openPgliteCopy(options: OpenTestDatabaseOptions): Promise<TestDatabase> {
  const templates = inject('pgliteTemplates');
  if (!templates) {
    // Run without the global setup (e.g. another config): build from scratch, slowly.
    const embedded = await openPglite();
    await sql`CREATE EXTENSION IF NOT EXISTS postgis`.execute(embedded.db);
    await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(embedded.db);
    return { backend: 'pglite', db: embedded.db, connectAgain: undefined, close: embedded.close };
  }
  const tarball = await openAsBlob(options.migrated ? templates.migrated : templates.bare);
  const embedded = await openPglite({ loadDataDir: tarball });
  return { backend: 'pglite', db: embedded.db, connectAgain: undefined, close: embedded.close };
}

async function openPostgresSchema(): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    if (!inject('pgliteTemplates')) {
      await admin.query('CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pg_trgm');
    }
    // Each test migrates its own schema, found first on the search path; a migrated public schema would be
    // found instead (Kysely's migrator reads its table through the search path) and the schema left empty.
    const stray = await admin.query(`SELECT to_regclass('public.geosearch_migrations') IS NOT NULL AS found`);
    if (stray.rows[0]?.found) {
      throw new Error(
        `the public schema of ${url} is migrated (public.geosearch_migrations): run the tests on a fresh ` +
          'database (scripts/services/postgres createdb NAME prints its DATABASE_URL)',
      );
    }
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const connect = () =>
    new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: url, options: `-c search_path=${schema},public`, max: 10 }),
      }),
    });
  const db = connect();
  return {
    backend: 'postgres',
    db,
    connectAgain: connect,
    close: async () => {
      await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(db);
      await db.destroy();
    },
  };
}
