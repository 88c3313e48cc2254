import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/database.js';
import { createSearchCore, type SearchCore } from '../src/search-core.js';
import { backends, openTestDatabase, type TestDatabase } from './backends.js';
import { naturalEarthCountry, square } from './fixtures.js';

interface PartStats {
  parts: number;
  maxPoints: number;
  thingPoints: number;
  /** |area(parts) - area(thing)| / area(thing), planar degrees. */
  areaError: number;
}

async function partStats(db: Kysely<Database>, externalId: string): Promise<PartStats> {
  const result = await sql<{ parts: string; max_points: number; thing_points: number; area_error: number }>`
    SELECT count(p.*) AS parts, max(ST_NPoints(p.geom)) AS max_points,
           ST_NPoints(t.geom) AS thing_points,
           abs(sum(ST_Area(p.geom)) - ST_Area(t.geom)) / ST_Area(t.geom) AS area_error
    FROM things t JOIN thing_parts p ON p.thing_id = t.id
    WHERE t.external_id = ${externalId}
    GROUP BY t.id, t.geom`.execute(db);
  const row = result.rows[0];
  if (!row) return { parts: 0, maxPoints: 0, thingPoints: 0, areaError: 0 };
  return {
    parts: Number(row.parts),
    maxPoints: Number(row.max_points),
    thingPoints: Number(row.thing_points),
    areaError: Number(row.area_error),
  };
}

/**
 * Sample points over a box: a grid offset by an irrational fraction so no
 * point falls exactly on a cut line, plus some of the footprint's own vertices
 * (which lie on its boundary).
 */
function samplePoints(box: { minLng: number; minLat: number; maxLng: number; maxLat: number }, n: number) {
  const points: { lng: number; lat: number }[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      points.push({
        lng: box.minLng + ((i + Math.SQRT1_2) / n) * (box.maxLng - box.minLng),
        lat: box.minLat + ((j + Math.SQRT1_2 / 2) / n) * (box.maxLat - box.minLat),
      });
    }
  }
  return points;
}

describe.each(backends)('subdivided footprints on %s', (backend) => {
  let database: TestDatabase;
  let core: SearchCore;
  const russia = naturalEarthCountry('Russia', '50m');

  beforeAll(async () => {
    database = await openTestDatabase(backend, { migrated: true });
    core = await createSearchCore({ db: database.db });
    const result = await core.importThings([russia, naturalEarthCountry('Canada', '50m')]);
    expect(result).toMatchObject({ created: 2, rejected: 0 });
  });
  afterAll(async () => {
    await database?.close();
  });

  it('cuts a country with thousands of vertices into parts of at most 255 vertices that add up to it', async () => {
    for (const id of [String(russia.id), '124']) {
      const stats = await partStats(database.db, id);
      expect(stats.thingPoints).toBeGreaterThan(5000);
      expect(stats.parts).toBeGreaterThan(stats.thingPoints / 255);
      expect(stats.maxPoints).toBeLessThanOrEqual(255);
      expect(stats.areaError).toBeLessThan(1e-9);
    }
  });

  it('finds the same containing things through the parts as ST_Covers on the whole footprint', async () => {
    const thing = await core.getThing({ key: { externalId: String(russia.id) } });
    const points = samplePoints(thing.bbox, 30);
    const polygons =
      russia.geometry.type === 'MultiPolygon' ? russia.geometry.coordinates : [russia.geometry.coordinates];
    for (const polygon of polygons.slice(0, 20)) {
      const [lng = 0, lat = 0] = polygon[0]?.[0] ?? [];
      points.push({ lng, lat });
    }
    const lngs = points.map((p) => p.lng);
    const lats = points.map((p) => p.lat);
    const compared = await sql<{ whole: boolean; parts: boolean }>`
      SELECT ST_Covers(t.geom, pt.geom) AS whole,
             EXISTS (SELECT 1 FROM thing_parts p WHERE p.thing_id = t.id AND ST_Covers(p.geom, pt.geom)) AS parts
      FROM things t,
           LATERAL (SELECT ST_SetSRID(ST_MakePoint(x, y), 4326) AS geom
                    FROM unnest(${lngs}::float8[], ${lats}::float8[]) AS u(x, y)) pt
      WHERE t.id = ${thing.id}`.execute(database.db);
    expect(compared.rows).toHaveLength(points.length);
    const inside = compared.rows.filter((r) => r.whole).length;
    expect(inside).toBeGreaterThan(100); // the sample really probes both sides
    expect(inside).toBeLessThan(points.length);
    expect(compared.rows.filter((r) => r.whole !== r.parts)).toEqual([]);

    // And the search itself agrees, point by point, on a subset.
    for (const [i, point] of points.entries()) {
      if (i % 9 !== 0) continue;
      const hits = (await core.search({ point })).hits.map((h) => h.thing.externalId);
      expect(hits.includes(String(russia.id))).toBe(compared.rows[i]?.whole);
    }
  });

  it('refreshes the parts when a re-import changes the geometry', async () => {
    const moscow = { lng: 37.62, lat: 55.75 };
    expect((await core.search({ point: moscow })).hits.map((h) => h.thing.name)).toEqual(['Russia']);

    const replaced = await core.importThings([square(String(russia.id), 'Russia', 100, -40, 1)]);
    expect(replaced).toMatchObject({ updated: 1 });
    expect(await partStats(database.db, String(russia.id))).toMatchObject({ parts: 1, thingPoints: 5 });
    expect((await core.search({ point: moscow })).hits).toEqual([]);
    expect((await core.search({ point: { lng: 100.5, lat: -39.5 } })).hits.map((h) => h.thing.name)).toEqual([
      'Russia',
    ]);

    await core.importThings([russia]);
    expect((await partStats(database.db, String(russia.id))).parts).toBeGreaterThan(20);
    expect((await core.search({ point: moscow })).hits.map((h) => h.thing.name)).toEqual(['Russia']);
  });

  it('removes the parts on delete', async () => {
    const canada = await core.deleteThing({ key: { externalId: '124' } });
    const left = await database.db
      .selectFrom('thing_parts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('thing_id', '=', canada.id)
      .executeTakeFirstOrThrow();
    expect(Number(left.n)).toBe(0);
    expect((await core.search({ point: { lng: -100, lat: 55 } })).hits).toEqual([]);
  });
});
