import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { UpsertedThing } from '../src/queries/import-things.js';
import { createSearchCore, type SearchCore } from '../src/search-core.js';
import { backends, clearThings, openTestDatabase, type TestDatabase } from './backends.js';
import { square, squareGrid } from './fixtures.js';

const REPAIR_FAILED = 'geometry: is invalid and could not be repaired into a polygon';

/** A feature with `ring` as its only ring. */
function withRing(id: string, ring: unknown[]): Record<string, unknown> {
  return {
    type: 'Feature',
    id,
    properties: { name: id },
    geometry: { type: 'Polygon', coordinates: [ring] },
  };
}

/** A ring with `n` vertices around (lng, lat), closed. */
function circle(lng: number, lat: number, n: number): number[][] {
  const ring = Array.from({ length: n }, (_, i) => {
    const a = (2 * Math.PI * i) / n;
    return [lng + Math.cos(a) * 0.1, lat + Math.sin(a) * 0.1];
  });
  return [...ring, ring[0] ?? [lng, lat]];
}

describe.each(backends)('import on %s', (backend) => {
  let database: TestDatabase;
  let core: SearchCore;

  beforeAll(async () => {
    database = await openTestDatabase(backend, { migrated: true });
    core = await createSearchCore({ db: database.db });
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await clearThings(database.db);
  });

  it('imports 10,000 features, then updates all of them on a second import', { timeout: 600_000 }, async ({
    annotate,
  }) => {
    const grid = squareGrid(100, 100);
    const committed: UpsertedThing[] = [];
    let start = performance.now();
    const first = await core.importThings([{ type: 'FeatureCollection', features: grid }], {
      onCommitted: (things) => committed.push(...things),
    });
    const firstMs = performance.now() - start;
    expect(first).toEqual({ created: 10_000, updated: 0, rejected: 0, rejections: [] });
    expect(await core.countThings()).toBe(10_000);
    expect(committed).toHaveLength(10_000);
    expect(committed.every((t) => t.created && t.version === 1)).toBe(true);
    expect(new Set(committed.map((t) => t.externalId)).size).toBe(10_000);

    start = performance.now();
    const second = await core.importThings([{ type: 'FeatureCollection', features: grid }]);
    const secondMs = performance.now() - start;
    expect(second).toEqual({ created: 0, updated: 10_000, rejected: 0, rejections: [] });
    const versions = await database.db
      .selectFrom('things')
      .select((eb) => [eb.fn.min('version').as('low'), eb.fn.max('version').as('high')])
      .executeTakeFirstOrThrow();
    expect([Number(versions.low), Number(versions.high)]).toEqual([2, 2]);
    expect(await core.countThings()).toBe(10_000);

    // Every square is findable at its centre.
    const hits = await core.search({ point: { lng: 99 * 0.02 + 0.005, lat: 99 * 0.02 + 0.005 } });
    expect(hits.hits.map((h) => h.thing.externalId)).toEqual(['g9999']);
    await annotate(
      `${backend}: 10,000-feature import ${Math.round(firstMs)} ms, re-import ${Math.round(secondMs)} ms`,
    );
  });

  it('rejects each broken feature with its index and reason, and keeps the rest', async () => {
    const strict = await createSearchCore({
      db: database.db,
      limits: { maxVertices: 50, importBatchSize: 4 },
    });
    const features: unknown[] = [
      square('ok0', 'OK 0', 0, 0), // 0
      withRing('bad-lat', [
        [0, 0],
        [1, 0],
        [1, 95],
        [0, 0],
      ]), // 1
      withRing('unclosed', [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 1],
      ]), // 2
      { ...square('no-name', 'x', 0, 0), properties: {} }, // 3
      { ...square('', 'No id', 0, 0), id: undefined }, // 4
      withRing('nan', [
        [0, 0],
        [Number.NaN, 0],
        [1, 1],
        [0, 0],
      ]), // 5
      withRing('many', circle(5, 5, 60)), // 6
      withRing('bow-tie', [
        [10, 10],
        [11, 11],
        [11, 10],
        [10, 11],
        [10, 10],
      ]), // 7: repaired, accepted
      withRing('flat', [
        [20, 20],
        [21, 21],
        [22, 22],
        [20, 20],
      ]), // 8: repairs to nothing polygonal
      withRing('spike', [
        [30, 30],
        [30, 30],
        [30, 30],
        [30, 30],
      ]), // 9: a point
      { ...square('nul', 'NUL', 0, 0), properties: { name: 'NUL', note: 'a\u0000b' } }, // 10
      square('ok1', 'OK 1', 40, 40), // 11
    ];
    const result = await strict.importThings([{ type: 'FeatureCollection', features }]);
    expect(result.rejections.map((r) => [r.index, r.externalId])).toEqual([
      [1, 'bad-lat'],
      [2, 'unclosed'],
      [3, 'no-name'],
      [4, ''],
      [5, 'nan'],
      [6, 'many'],
      [8, 'flat'],
      [9, 'spike'],
      [10, 'nul'],
    ]);
    const reasons = Object.fromEntries(result.rejections.map((r) => [r.externalId, r.reason]));
    expect(reasons).toEqual({
      'bad-lat': expect.stringMatching(/^geometry\.coordinates\[0\]\[2\]\[1\]: latitude/),
      unclosed: 'geometry.coordinates[0]: a ring must end where it starts',
      'no-name': expect.stringMatching(/^properties\.name: missing/),
      '': expect.stringMatching(/^id: missing/),
      nan: expect.stringMatching(/^geometry\.coordinates\[0\]\[1\]\[0\]: longitude/),
      many: 'geometry: has more than 50 vertices',
      flat: REPAIR_FAILED,
      spike: REPAIR_FAILED,
      nul: 'properties.note: must be well-formed Unicode without NUL characters',
    });
    expect(result).toMatchObject({ created: 3, updated: 0, rejected: 9 });

    const bowTie = await sql<{ valid: boolean; parts: number; type: string }>`
      SELECT ST_IsValid(geom) AS valid, ST_NumGeometries(geom) AS parts, GeometryType(geom) AS type
      FROM things WHERE external_id = 'bow-tie'`.execute(database.db);
    expect(bowTie.rows).toEqual([{ valid: true, parts: 2, type: 'MULTIPOLYGON' }]);
    // The bow-tie's two triangles meet at (10.5, 10.5): left and right of it are inside, above and below not.
    for (const point of [
      { lng: 10.1, lat: 10.5 },
      { lng: 10.9, lat: 10.5 },
    ]) {
      expect((await core.search({ point })).hits.map((h) => h.thing.externalId)).toEqual(['bow-tie']);
    }
    for (const point of [
      { lng: 10.5, lat: 10.1 },
      { lng: 10.5, lat: 10.9 },
    ]) {
      expect((await core.search({ point })).hits).toEqual([]);
    }
  });

  it('isolates a feature the database refuses and writes the rest of its batch', async () => {
    await sql`
      CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.name = 'poison' THEN RAISE EXCEPTION 'poisoned' USING ERRCODE = '22023'; END IF;
        RETURN NEW;
      END $$`.execute(database.db);
    await sql`CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON things
      FOR EACH ROW EXECUTE FUNCTION refuse_poison()`.execute(database.db);
    try {
      const features = [square('a', 'A', 0, 0), square('p', 'poison', 1, 1), square('b', 'B', 2, 2)];
      const result = await core.importThings([{ type: 'FeatureCollection', features }]);
      expect(result).toMatchObject({ created: 2, rejected: 1, rejections: [{ index: 1, externalId: 'p' }] });
      expect(await core.countThings()).toBe(2);
    } finally {
      await sql`DROP TRIGGER refuse_poison ON things`.execute(database.db);
      await sql`DROP FUNCTION refuse_poison()`.execute(database.db);
    }
  });

  it('stores Polygons as MultiPolygons', async () => {
    await core.importThings([square('poly', 'Poly', 3, 4, 1)]);
    const thing = await core.getThing({ key: { externalId: 'poly' }, view: 'full' });
    const geometry = JSON.parse(thing.geometry ?? '{}') as { type: string; coordinates: unknown };
    expect(geometry).toEqual({
      type: 'MultiPolygon',
      coordinates: [square('poly', 'Poly', 3, 4, 1).geometry.coordinates],
    });
  });

  it('rejects unreadable JSON text with a reason, counting it in the stream', async () => {
    const result = await core.importThings([
      '{"type": "FeatureCollection", "features": [',
      JSON.stringify(square('t1', 'T1', 0, 0)),
      JSON.stringify({
        type: 'FeatureCollection',
        features: [square('t2', 'T2', 1, 1), square('t3', 'T3', 2, 2)],
      }),
      '{"type": "FeatureCollection", "features": "none"}',
      'null',
      square('t4', 'T4', 3, 3),
    ]);
    expect(result.created).toBe(4);
    expect(result.rejections).toEqual([
      { index: 0, externalId: '', reason: 'geojson: is not valid JSON' },
      { index: 4, externalId: '', reason: 'features: must be an array' },
      { index: 5, externalId: '', reason: expect.any(String) },
    ]);
  });

  it('lets the later of two features with the same external id win, within and across batches', async () => {
    const result = await core.importThings([
      { type: 'FeatureCollection', features: [square('dup', 'First', 0, 0), square('x', 'X', 5, 5)] },
      square('dup', 'Second', 50, 50),
    ]);
    expect(result).toMatchObject({ created: 2, updated: 1, rejected: 0 });
    const dup = await core.getThing({ key: { externalId: 'dup' } });
    expect(dup).toMatchObject({ name: 'Second', version: 2, bbox: { minLng: 50, minLat: 50 } });
    expect((await core.search({ point: { lng: 0.5, lat: 0.5 } })).hits).toEqual([]);
    expect((await core.search({ point: { lng: 50.5, lat: 50.5 } })).hits.map((h) => h.thing.name)).toEqual([
      'Second',
    ]);

    const small = await createSearchCore({ db: database.db, limits: { importBatchSize: 2 } });
    const again = await small.importThings([
      {
        type: 'FeatureCollection',
        features: ['A', 'B', 'C', 'D', 'E'].map((n, i) => square('same', n, i, 0)),
      },
    ]);
    expect(again).toMatchObject({ created: 1, updated: 4, rejected: 0 });
    expect(await core.getThing({ key: { externalId: 'same' } })).toMatchObject({ name: 'E', version: 5 });
  });

  it('counts every rejection but keeps only maxRejections reasons', async () => {
    const bad = Array.from({ length: 7 }, (_, i) => ({ ...square(`b${i}`, 'x', 0, 0), properties: {} }));
    const result = await core.importThings([{ type: 'FeatureCollection', features: bad }], {
      maxRejections: 3,
    });
    expect(result.rejected).toBe(7);
    expect(result.rejections.map((r) => r.index)).toEqual([0, 1, 2]);
  });

  it('reads the id and name from the properties the caller names', async () => {
    const feature = {
      ...square('ignored', 'x', 0, 0),
      id: undefined,
      properties: { iso: 'DE', label: 'Germany' },
    };
    const result = await core.importThings([feature], { idProperty: 'iso', nameProperty: 'label' });
    expect(result.created).toBe(1);
    expect(await core.getThing({ key: { externalId: 'DE' } })).toMatchObject({ name: 'Germany' });
  });
});
