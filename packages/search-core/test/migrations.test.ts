import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../src/database.js';
import { GeoSearchError } from '../src/errors.js';
import {
  latestSchemaVersion,
  migrateDown,
  migrateToLatest,
  schemaVersion,
  withoutStatementTimeout,
} from '../src/migrate.js';
import { createSearchCore } from '../src/search-core.js';
import { backends, openTestDatabase, type TestDatabase } from './backends.js';
import { square } from './fixtures.js';

const names = [
  '0001_initial',
  '0002_thing_parts',
  '0003_thing_changes',
  '0004_name_trigram_gist',
  '0005_name_lower_gin',
];

async function tableExists(db: Kysely<Database>, table: string): Promise<boolean> {
  const result = await sql<{ found: boolean }>`SELECT to_regclass(${table}) IS NOT NULL AS found`.execute(db);
  return result.rows[0]?.found === true;
}

async function migrateDownToEmpty(db: Kysely<Database>): Promise<void> {
  for (let step = 0; step < names.length && (await schemaVersion(db)) !== ''; step++) await migrateDown(db);
  expect(await schemaVersion(db)).toBe('');
}

describe.each(backends)('migrations on %s', (backend) => {
  let database: TestDatabase;
  let db: Kysely<Database>;

  beforeAll(async () => {
    database = await openTestDatabase(backend, { migrated: false });
    db = database.db;
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await migrateDownToEmpty(db);
  });

  it('knows its newest version', () => {
    expect(latestSchemaVersion).toBe(names.at(-1));
  });

  it('migrates up to the latest version, down step by step to empty, and up again', async () => {
    expect(await schemaVersion(db)).toBe('');

    const up = await migrateToLatest(db);
    expect(up).toEqual({
      applied: names.map((name) => ({ name, direction: 'Up' })),
      schemaVersion: latestSchemaVersion,
    });
    for (const table of ['things', 'thing_parts', 'thing_changes', 'geosearch_settings']) {
      expect(await tableExists(db, table)).toBe(true);
    }
    expect(await migrateToLatest(db)).toEqual({ applied: [], schemaVersion: latestSchemaVersion });

    expect(await tableExists(db, 'things_name_lower_trgm')).toBe(true);
    expect(await tableExists(db, 'things_name_trgm')).toBe(false);
    expect(await migrateDown(db)).toEqual({
      applied: [{ name: '0005_name_lower_gin', direction: 'Down' }],
      schemaVersion: '0004_name_trigram_gist',
    });
    expect(await tableExists(db, 'things_name_lower_trgm')).toBe(false);
    expect(await tableExists(db, 'things_name_trgm_gist')).toBe(true);
    expect(await migrateDown(db)).toEqual({
      applied: [{ name: '0004_name_trigram_gist', direction: 'Down' }],
      schemaVersion: '0003_thing_changes',
    });
    expect(await tableExists(db, 'things_name_trgm_gist')).toBe(false);
    expect(await tableExists(db, 'things_name_trgm')).toBe(true);
    expect(await migrateDown(db)).toEqual({
      applied: [{ name: '0003_thing_changes', direction: 'Down' }],
      schemaVersion: '0002_thing_parts',
    });
    expect(await tableExists(db, 'thing_changes')).toBe(false);
    expect(await migrateDown(db)).toEqual({
      applied: [{ name: '0002_thing_parts', direction: 'Down' }],
      schemaVersion: '0001_initial',
    });
    expect(await tableExists(db, 'thing_parts')).toBe(false);
    expect(await tableExists(db, 'things')).toBe(true);

    expect(await migrateDown(db)).toEqual({
      applied: [{ name: '0001_initial', direction: 'Down' }],
      schemaVersion: '',
    });
    for (const table of ['things', 'thing_parts', 'thing_changes', 'geosearch_settings']) {
      expect(await tableExists(db, table)).toBe(false);
    }
    expect(await migrateDown(db)).toEqual({ applied: [], schemaVersion: '' });

    expect((await migrateToLatest(db)).applied.map((a) => a.name)).toEqual(names);
    // The schema built the second time works end to end.
    const core = await createSearchCore({ db });
    expect((await core.importThings([square('sq', 'Square', 10, 10)])).created).toBe(1);
    const page = await core.search({ point: { lng: 10.5, lat: 10.5 } });
    expect(page.hits.map((h) => h.thing.externalId)).toEqual(['sq']);
  });

  it("runs each migration step without the connection's statement timeout, and leaves it in place after", async () => {
    const seen: string[] = [];
    const show = async <T>(on: Kysely<T>) =>
      (await sql<{ statement_timeout: string }>`SHOW statement_timeout`.execute(on)).rows[0]
        ?.statement_timeout ?? '';
    const step = withoutStatementTimeout({
      up: async (trx) => {
        seen.push(`up ${await show(trx)}`);
      },
      down: async (trx) => {
        seen.push(`down ${await show(trx)}`);
      },
    });
    await db.connection().execute(async (conn) => {
      await sql`SET statement_timeout = 1234`.execute(conn);
      try {
        await conn.transaction().execute(async (trx) => {
          await step.up(trx);
          await step.down?.(trx);
        });
        seen.push(`after ${await show(conn)}`);
      } finally {
        await sql`RESET statement_timeout`.execute(conn);
      }
    });
    expect(seen).toEqual(['up 0', 'down 0', 'after 1234ms']);
  });

  it('keeps things across a down and up of thing_parts, and rebuilds their parts', async () => {
    await migrateToLatest(db);
    const core = await createSearchCore({ db });
    await core.importThings([square('a', 'A', 0, 0), square('b', 'B', 5, 5)]);
    // Down every migration after 0001_initial (so thing_parts among them).
    for (const _ of names.slice(1)) await migrateDown(db);
    expect(await schemaVersion(db)).toBe('0001_initial');

    await migrateToLatest(db);
    const parts = await db
      .selectFrom('thing_parts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirst();
    expect(Number(parts?.n)).toBe(2);
    const page = await core.search({ point: { lng: 5.5, lat: 5.5 } });
    expect(page.hits.map((h) => h.thing.externalId)).toEqual(['b']);
  });

  it('lets two runners migrate at once: both succeed and each migration applies once', async () => {
    // On PostgreSQL the second runner has its own pool, as a second process would.
    const other = database.connectAgain?.();
    try {
      const outcomes = await Promise.all([migrateToLatest(db), migrateToLatest(other ?? db)]);
      for (const outcome of outcomes) expect(outcome.schemaVersion).toBe(latestSchemaVersion);
      const applied = outcomes.flatMap((o) => o.applied.map((a) => a.name)).sort();
      expect(applied).toEqual(names);
    } finally {
      await other?.destroy();
    }
    const rows = await sql<{ name: string }>`SELECT name FROM geosearch_migrations ORDER BY name`.execute(db);
    expect(rows.rows.map((r) => r.name)).toEqual(names);
    const keys = await db.selectFrom('geosearch_settings').select('key').execute();
    expect(keys).toEqual([{ key: 'page_token_key' }]);
  });

  it('reports a failed migration as GeoSearchError("internal"), keeping the cause for logs', async () => {
    await sql`CREATE TABLE things (squatter integer)`.execute(db);
    try {
      const error = await migrateToLatest(db).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GeoSearchError);
      expect(error).toMatchObject({ code: 'internal', message: 'database migration 0001_initial failed' });
      expect((error as GeoSearchError).cause).toBeDefined();
      expect(await schemaVersion(db)).toBe('');
      expect(await tableExists(db, 'geosearch_settings')).toBe(false);
    } finally {
      await sql`DROP TABLE things`.execute(db);
    }
  });
});
