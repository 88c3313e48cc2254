import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/database.js';
import { openPglite } from '../src/pglite.js';

/** A fresh, empty database on one backend, and how to dispose of it. */
export interface TestDatabase {
  readonly backend: 'pglite' | 'postgres';
  readonly db: Kysely<Database>;
  close(): Promise<void>;
}

/** The backends the suite runs on: PGlite always; PostgreSQL when DATABASE_URL is set. */
export const backends: readonly ('pglite' | 'postgres')[] = process.env.DATABASE_URL
  ? ['pglite', 'postgres']
  : ['pglite'];

if (!process.env.DATABASE_URL && process.env.GEOSEARCH_REQUIRE_POSTGRES === '1') {
  throw new Error(
    'GEOSEARCH_REQUIRE_POSTGRES=1 but DATABASE_URL is not set: start scripts/services/postgres',
  );
}

/**
 * Opens an empty database: an in-memory PGlite, or a private schema on the
 * PostgreSQL at DATABASE_URL (PostGIS and pg_trgm live in `public`).
 */
export async function openTestDatabase(backend: 'pglite' | 'postgres'): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const embedded = await openPglite();
    return { backend, db: embedded.db, close: embedded.close };
  }
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query('CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pg_trgm');
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const pool = new pg.Pool({
    connectionString: process.env.DATABASE_URL,
    options: `-c search_path=${schema},public`,
    max: 10,
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    backend,
    db,
    close: async () => {
      await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(db);
      await db.destroy();
    },
  };
}
