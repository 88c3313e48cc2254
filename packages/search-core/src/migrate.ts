import { type Kysely, sql } from 'kysely';
import { type Migration, type MigrationResultSet, Migrator } from 'kysely/migration';
import type { Database } from './database.js';
import { GeoSearchError } from './errors.js';
import * as initial from './migrations/0001-initial.js';
import * as thingParts from './migrations/0002-thing-parts.js';
import * as thingChanges from './migrations/0003-thing-changes.js';
import * as nameTrigramGist from './migrations/0004-name-trigram-gist.js';
import * as nameLowerGin from './migrations/0005-name-lower-gin.js';

/**
 * `migration` with the statement timeout lifted for its own transaction
 * (`SET LOCAL`, so the pooled connection keeps its timeout afterwards).
 * Servers set a per-statement timeout for calls (`statement_timeout_ms`),
 * and a migration may take much longer on a large table: building
 * 0004's index on 1M names took about 11 s, and failed the server's start
 * with the 5 s default. Outside a transaction `SET LOCAL` has no effect.
 */
export function withoutStatementTimeout(migration: Migration): Migration {
  const lifted =
    (step: (db: Kysely<unknown>) => Promise<void>) =>
    async (db: Kysely<unknown>): Promise<void> => {
      await sql`SET LOCAL statement_timeout = 0`.execute(db);
      await step(db);
    };
  return { up: lifted(migration.up), ...(migration.down ? { down: lifted(migration.down) } : {}) };
}

/** The migrations, in order. Names sort in the order they apply. */
const migrations: Record<string, Migration> = Object.fromEntries(
  Object.entries({
    '0001_initial': initial,
    '0002_thing_parts': thingParts,
    '0003_thing_changes': thingChanges,
    '0004_name_trigram_gist': nameTrigramGist,
    '0005_name_lower_gin': nameLowerGin,
  }).map(([name, migration]) => [name, withoutStatementTimeout(migration)]),
);

/** The newest schema version this build of core knows. */
export const latestSchemaVersion = Object.keys(migrations).sort().at(-1) ?? '';

/** The migrations applied by a call, and the schema version after it. */
export interface MigrationOutcome {
  readonly applied: readonly { readonly name: string; readonly direction: 'Up' | 'Down' }[];
  readonly schemaVersion: string;
}

function migrator(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'geosearch_migrations',
    migrationLockTableName: 'geosearch_migrations_lock',
  });
}

async function settle(db: Kysely<Database>, result: MigrationResultSet): Promise<MigrationOutcome> {
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new GeoSearchError('internal', `database migration ${failed} failed`, { cause: result.error });
  }
  return {
    applied: (result.results ?? [])
      .filter((r) => r.status === 'Success')
      .map((r) => ({ name: r.migrationName, direction: r.direction })),
    schemaVersion: await schemaVersion(db),
  };
}

/**
 * Applies every pending migration. Safe to run from several processes at
 * once: Kysely serialises them with an advisory lock, so the second runner
 * finds nothing left to do. Throws `GeoSearchError('internal')` on failure.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationOutcome> {
  return settle(db, await migrator(db).migrateToLatest());
}

/** Reverts the newest applied migration. */
export async function migrateDown(db: Kysely<Database>): Promise<MigrationOutcome> {
  return settle(db, await migrator(db).migrateDown());
}

/** The newest applied migration's name, or '' on an empty database. */
export async function schemaVersion(db: Kysely<Database>): Promise<string> {
  const table = await sql<{
    exists: boolean;
  }>`SELECT to_regclass('geosearch_migrations') IS NOT NULL AS exists`.execute(db);
  if (!table.rows[0]?.exists) return '';
  const row = await sql<{ name: string | null }>`SELECT max(name) AS name FROM geosearch_migrations`.execute(
    db,
  );
  return row.rows[0]?.name ?? '';
}
