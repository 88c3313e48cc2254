import {
  type CompiledQuery,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/database.js';
import { GeoSearchError } from '../src/errors.js';
import { createSearchCore, type SearchCore } from '../src/search-core.js';
import { backends, openTestDatabase, type TestDatabase } from './backends.js';
import { square } from './fixtures.js';

/** Text that would break, or change the meaning of, SQL built by pasting strings. */
const hostile = [
  "O'Brien",
  "Robert'); DROP TABLE things; --",
  "' OR '1'='1",
  '"; DELETE FROM thing_parts; --',
  'semi;colon',
  'dash -- dash',
  '/* not a comment */',
  '$1 $2 ::text',
  '100% Pure',
  'a_b',
  'back\\slash',
  'trailing backslash \\',
  '\\%\\_',
  'Café ☕ 🏔️ 👩‍👩‍👧',
  'مدينة الأمل',
  'עִיר הַקֹּדֶשׁ',
  'e\u0301cole',
  'école',
  '\u202Eevil\u202C',
];

/** Names that only match literally: LIKE wildcards in a query must not match them. */
const bystanders = ['aXb', 'a b', '100 Pure', 'plain', 'Pure 1000'];

describe.each(backends)('hostile input on %s', (backend) => {
  let database: TestDatabase;
  let core: SearchCore;
  const total = hostile.length + bystanders.length;

  beforeAll(async () => {
    database = await openTestDatabase(backend, { migrated: true });
    core = await createSearchCore({ db: database.db });
    const features = [
      ...hostile.map((text, i) => square(`${text}#${i}`, text, i, 0, 0.5)),
      ...bystanders.map((text, i) => square(`by${i}`, text, i, 10, 0.5)),
    ];
    const result = await core.importThings([{ type: 'FeatureCollection', features }]);
    expect(result).toMatchObject({ created: total, rejected: 0 });
  });
  afterAll(async () => {
    await database?.close();
  });

  async function expectIntact(): Promise<void> {
    expect(await core.countThings()).toBe(total);
    const parts = await database.db
      .selectFrom('thing_parts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(parts.n)).toBe(total);
  }

  it('stores and returns hostile names and ids exactly as given', async () => {
    for (const [i, text] of hostile.entries()) {
      const thing = await core.getThing({ key: { externalId: `${text}#${i}` } });
      expect(thing.name).toBe(text);
    }
  });

  it('searches for hostile text without a database error, finding the thing named so', async () => {
    for (const text of hostile) {
      const page = await core.search({ query: text, pageSize: 100 });
      expect(page.hits.map((h) => h.thing.name)).toContain(text);
      await core.search({ query: text, point: { lng: 0.25, lat: 0.25 } });
    }
    await expectIntact();
  });

  it('matches % and _ literally', async () => {
    const names = async (query: string) =>
      (await core.search({ query, pageSize: 100 })).hits.map((h) => h.thing.name).sort();
    const containing = (text: string) => [...hostile, ...bystanders].filter((n) => n.includes(text)).sort();
    expect(await names('%')).toEqual(['100% Pure', '\\%\\_']);
    for (const text of ['%', '_', '\\', '%%', '\\%', '%_'])
      expect(await names(text)).toEqual(containing(text));
    expect(await names('a_b')).not.toContain('aXb');
  });

  it('does not normalise Unicode: composed and decomposed spellings stay distinct', async () => {
    const composed = await core.getThing({ key: { externalId: `école#${hostile.indexOf('école')}` } });
    expect(composed.name).toBe('école');
    expect(composed.name).not.toBe('e\u0301cole');
  });

  it('refuses NUL and broken Unicode in a query as invalid_argument', async () => {
    for (const query of ['a\u0000b', '\u0000', 'x\uD800']) {
      const error = await core.search({ query }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GeoSearchError);
      expect(error).toMatchObject({ code: 'invalid_argument', violations: [{ field: 'query' }] });
    }
  });

  it('refuses hostile page tokens as invalid_argument', async () => {
    for (const pageToken of [...hostile, 'x\u0000y', '..', 'a.b']) {
      const error = await core.search({ query: 'plain', pageToken }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GeoSearchError);
      expect(error).toMatchObject({ code: 'invalid_argument', violations: [{ field: 'page_token' }] });
    }
    await expectIntact();
  });

  it('answers not_found for hostile external ids that do not exist', async () => {
    for (const text of hostile) {
      await expect(core.getThing({ key: { externalId: text } })).rejects.toMatchObject({ code: 'not_found' });
      await expect(core.deleteThing({ key: { externalId: text } })).rejects.toMatchObject({
        code: 'not_found',
      });
    }
    await expectIntact();
  });
});

describe('the SQL core sends', () => {
  /** A Kysely that runs nothing and records every compiled query. */
  function recordingDb(queries: CompiledQuery[]): Kysely<Database> {
    return new Kysely<Database>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (db) => new PostgresIntrospector(db),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
      log: (event) => {
        if (event.level === 'query') queries.push(event.query);
      },
    });
  }

  const marker = "Robert'); DROP TABLE things; --";

  async function recorded(run: (core: SearchCore) => Promise<unknown>): Promise<CompiledQuery[]> {
    const queries: CompiledQuery[] = [];
    const core = await createSearchCore({ db: recordingDb(queries), pageTokenKey: new Uint8Array(32) });
    await run(core).catch(() => undefined); // the dummy driver returns no rows; only the SQL matters
    expect(queries.length).toBeGreaterThan(0);
    return queries;
  }

  function expectBound(queries: readonly CompiledQuery[], ...values: unknown[]): void {
    for (const query of queries) {
      expect(query.sql).not.toContain('DROP');
      expect(query.sql).not.toContain('Robert');
      expect(query.sql).not.toContain('13.375');
    }
    const parameters = queries.flatMap((q) => q.parameters);
    for (const value of values) expect(parameters).toContainEqual(value);
  }

  it('binds the query text, its LIKE pattern and the point as parameters', async () => {
    const queries = await recorded((core) =>
      core.search({ query: `${marker}%_`, point: { lng: 13.375, lat: 52.5 } }),
    );
    expectBound(queries, `${marker}%_`, `%${marker}\\%\\_%`, 13.375, 52.5);
    expect(queries.some((q) => /LIKE lower\(\$\d+\)/.test(q.sql))).toBe(true);
  });

  it('binds nearby coordinates and distances', async () => {
    const queries = await recorded((core) =>
      core.nearby({ point: { lng: 13.375, lat: 52.5 }, maxDistanceMeters: 1234.5 }),
    );
    expectBound(queries, 13.375, 52.5, 1234.5);
  });

  it('binds external ids on get and delete', async () => {
    expectBound(await recorded((core) => core.getThing({ key: { externalId: marker } })), marker);
    expectBound(await recorded((core) => core.deleteThing({ key: { externalId: marker } })), marker);
  });

  it('binds imported features as one JSON parameter', async () => {
    const queries = await recorded((core) => core.importThings([square(marker, marker, 13.375, 52.5)]));
    expectBound(queries);
    const payload = queries
      .flatMap((q) => q.parameters)
      .find((p) => typeof p === 'string' && p.includes('DROP'));
    expect(JSON.parse(String(payload))).toMatchObject([{ external_id: marker, name: marker }]);
  });
});
