import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeoSearchError } from '../src/errors.js';
import type { NearbyHit } from '../src/queries/nearby.js';
import { createSearchCore, type SearchCore } from '../src/search-core.js';
import { backends, clearThings, openTestDatabase, type TestDatabase } from './backends.js';
import { naturalEarthCountries, square } from './fixtures.js';

/** One degree of longitude along the equator on WGS 84, in metres. */
const DEGREE_EAST = 111_319.49;
/** One degree of latitude north of the equator on WGS 84, in metres. */
const DEGREE_NORTH = 110_574.39;

const origin = { lng: 0, lat: 0 };

function expectClose(actual: number | undefined, expected: number, relative = 0.005): void {
  expect(actual).toBeDefined();
  expect(Math.abs((actual ?? 0) - expected) / expected).toBeLessThan(relative);
}

const ids = (hits: readonly NearbyHit[]) => hits.map((h) => h.thing.externalId);

describe.each(backends)('nearby on %s', (backend) => {
  let database: TestDatabase;
  let core: SearchCore;

  beforeAll(async () => {
    database = await openTestDatabase(backend, { migrated: true });
    core = await createSearchCore({ db: database.db });
  });
  afterAll(async () => {
    await database?.close();
  });

  describe('around the origin', () => {
    beforeAll(async () => {
      await clearThings(database.db);
      await core.importThings([
        square('home', 'Home', -0.25, -0.25, 0.5), // covers the origin
        square('east', 'East', 1, -0.5, 1), // west edge 1 degree east
        square('north', 'North', -0.5, 1, 1), // south edge 1 degree north
        square('west3', 'West 3', -4, -0.5, 1), // east edge 3 degrees west
        square('far', 'Far', 100, 40, 1),
      ]);
    });

    it('measures true distances in metres on the spheroid', async () => {
      const hits = await core.nearby({ point: origin, limit: 10 });
      const distance = (id: string) => hits.find((h) => h.thing.externalId === id)?.distanceMeters;
      expectClose(distance('east'), DEGREE_EAST);
      expectClose(distance('north'), DEGREE_NORTH, 0.001);
      expectClose(distance('west3'), 3 * DEGREE_EAST);
    });

    it('gives distance 0 for a point inside or on the boundary', async () => {
      const inside = await core.nearby({ point: origin, limit: 1 });
      expect(inside.map((h) => [h.thing.externalId, h.distanceMeters])).toEqual([['home', 0]]);
      const onEdge = await core.nearby({ point: { lng: 1, lat: 0 }, limit: 1 });
      expect(onEdge.map((h) => [h.thing.externalId, h.distanceMeters])).toEqual([['east', 0]]);
    });

    it('orders by distance, nearest first', async () => {
      const hits = await core.nearby({ point: origin, limit: 10 });
      expect(ids(hits)).toEqual(['home', 'north', 'east', 'west3', 'far']);
      const distances = hits.map((h) => h.distanceMeters);
      expect(distances).toEqual([...distances].sort((a, b) => a - b));
    });

    it('keeps only things within maxDistanceMeters', async () => {
      expect(ids(await core.nearby({ point: origin, maxDistanceMeters: 111_000 }))).toEqual([
        'home',
        'north',
      ]);
      expect(ids(await core.nearby({ point: origin, maxDistanceMeters: 112_000 }))).toEqual([
        'home',
        'north',
        'east',
      ]);
      expect(ids(await core.nearby({ point: { lng: 50, lat: -60 }, maxDistanceMeters: 1000 }))).toEqual([]);
    });

    it('returns at most limit things, 10 by default', async () => {
      expect(ids(await core.nearby({ point: origin, limit: 2 }))).toEqual(['home', 'north']);
      expect(await core.nearby({ point: origin })).toHaveLength(5);
    });

    it('returns the geometry only with the full view', async () => {
      const [basic] = await core.nearby({ point: origin, limit: 1 });
      expect(basic?.thing.geometry).toBeUndefined();
      const [full] = await core.nearby({ point: origin, limit: 1, view: 'full' });
      expect(JSON.parse(full?.thing.geometry ?? '{}')).toMatchObject({ type: 'MultiPolygon' });
    });

    it('refuses a bad limit, distance or point naming the field', async () => {
      const max = core.limits().maxNearbyLimit;
      const cases: [Record<string, unknown>, string][] = [
        [{ point: origin, limit: max + 1 }, 'limit'],
        [{ point: origin, limit: -1 }, 'limit'],
        [{ point: origin, limit: 1.5 }, 'limit'],
        [{ point: origin, maxDistanceMeters: -5 }, 'maxDistanceMeters'],
        [{ point: { lng: 0, lat: 95 } }, 'point.lat'],
        [{}, 'point'],
      ];
      for (const [input, field] of cases) {
        const error = await core.nearby(input as never).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GeoSearchError);
        expect(error).toMatchObject({ code: 'invalid_argument', violations: [{ field }] });
      }
      expect(await core.nearby({ point: origin, limit: max })).toHaveLength(5);
    });
  });

  describe('over large footprints, the antimeridian and the countries', () => {
    // A polygon of 9,000 vertices in the North Atlantic near a row of small squares, squares on both
    // sides of the antimeridian, and the Natural Earth countries.
    const circle = (lng: number, lat: number, radius: number, vertices: number) => {
      const ring = Array.from({ length: vertices }, (_, i) => {
        const a = (2 * Math.PI * i) / vertices;
        return [lng + radius * Math.cos(a), lat + radius * Math.sin(a)];
      });
      return {
        type: 'Feature' as const,
        id: 'circle',
        properties: { name: 'Circle' },
        geometry: { type: 'Polygon' as const, coordinates: [[...ring, ring[0] as number[]]] },
      };
    };
    beforeAll(async () => {
      await clearThings(database.db);
      const row = Array.from({ length: 12 }, (_, i) => square(`row${i}`, `Row ${i}`, -46 + i, 50, 0.3));
      await core.importThings([
        circle(-40, 45, 4, 9000),
        ...row,
        square('east-of-180', 'East of 180', 179.6, -17, 0.3),
        square('west-of-180', 'West of 180', -179.9, -17, 0.3),
        ...naturalEarthCountries('110m'),
      ]);
    });

    /** The `limit` nearest by exact spheroid distance to every whole footprint, ties by id. */
    async function bruteForce(point: { lng: number; lat: number }, limit: number) {
      const { rows } = await sql<{ external_id: string; d: number }>`
        SELECT external_id,
               ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(${point.lng}::float8, ${point.lat}::float8), 4326)::geography) AS d
        FROM things ORDER BY d, id LIMIT ${limit}`.execute(database.db);
      return rows;
    }

    it('agrees with a brute-force ranking of whole footprints', async () => {
      const points = [
        { lng: -40, lat: 45 }, // the circle's centre
        { lng: -36.5, lat: 47 },
        { lng: -40, lat: 50.2 },
        { lng: -30, lat: 70 },
        { lng: 179.95, lat: -16.9 }, // between the two squares across the antimeridian
        { lng: -179.95, lat: -16.5 },
        { lng: 13.4, lat: 52.5 },
        { lng: -150, lat: -60 },
        { lng: 100, lat: 85 },
        { lng: 0, lat: 0 },
      ];
      for (const point of points) {
        for (const limit of [1, 2, 7]) {
          const [hits, expected] = await Promise.all([
            core.nearby({ point, limit }),
            bruteForce(point, limit),
          ]);
          expect(ids(hits), `${JSON.stringify(point)} limit ${limit}`).toEqual(
            expected.map((r) => r.external_id),
          );
          hits.forEach((hit, i) => {
            expect(hit.distanceMeters).toBeCloseTo(Number(expected[i]?.d), 3);
          });
        }
      }
    });

    it('keeps only things within maxDistanceMeters there too', async () => {
      const point = { lng: -36.5, lat: 47 };
      const expected = (await bruteForce(point, 7)).filter((r) => Number(r.d) <= 400_000);
      const hits = await core.nearby({ point, limit: 7, maxDistanceMeters: 400_000 });
      expect(ids(hits)).toEqual(expected.map((r) => r.external_id));
    });
  });

  describe('when the sphere and the spheroid disagree', () => {
    // On a sphere, 0.995 degrees east is nearer than 1 degree north; on the
    // WGS 84 spheroid (which the distances use) it is the other way round.
    beforeAll(async () => {
      await clearThings(database.db);
      const crowd = Array.from({ length: 30 }, (_, i) => square(`east${i}`, `East ${i}`, 0.995, -0.05, 0.1));
      await core.importThings([...crowd, square('north', 'North', -0.05, 1, 0.1)]);
    });

    it('still finds the truly nearest things', async () => {
      const [nearest] = await core.nearby({ point: origin, limit: 1 });
      expect(nearest?.thing.externalId).toBe('north');
      expectClose(nearest?.distanceMeters, DEGREE_NORTH, 0.001);
    });

    it('agrees with a brute-force ranking for every limit', async () => {
      const brute = await sql<{ external_id: string; d: number }>`
        SELECT external_id, ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(0, 0), 4326)::geography) AS d
        FROM things ORDER BY d, id`.execute(database.db);
      for (const limit of [1, 2, 5, 31]) {
        const hits = await core.nearby({ point: origin, limit });
        expect(ids(hits)).toEqual(brute.rows.slice(0, limit).map((r) => r.external_id));
      }
    });
  });
});
