import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeoSearchError } from '../src/errors.js';
import { createSearchCore, type SearchCore } from '../src/search-core.js';
import { backends, openTestDatabase, type TestDatabase } from './backends.js';
import { naturalEarthCountries, square } from './fixtures.js';

describe.each(backends)('search on %s', (backend) => {
  let database: TestDatabase;
  let core: SearchCore;

  beforeAll(async () => {
    database = await openTestDatabase(backend, { migrated: true });
    core = await createSearchCore({ db: database.db });
    const result = await core.importThings([
      { type: 'FeatureCollection', features: naturalEarthCountries() },
    ]);
    expect(result.rejected).toBe(0);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('finds Germany for Berlin (lat 52.52, lng 13.405)', async () => {
    const page = await core.search({ point: { lat: 52.52, lng: 13.405 } });
    expect(page.hits.map((h) => h.thing.name)).toEqual(['Germany']);
  });

  it('does not find Germany with the axes swapped', async () => {
    const page = await core.search({ point: { lat: 13.405, lng: 52.52 } });
    expect(page.hits.map((h) => h.thing.name)).not.toContain('Germany');
  });

  it('finds by name, case-insensitively and fuzzily', async () => {
    const exact = await core.search({ query: 'germany' });
    expect(exact.hits[0]?.thing.name).toBe('Germany');
    const fuzzy = await core.search({ query: 'Germny' });
    expect(fuzzy.hits.map((h) => h.thing.name)).toContain('Germany');
  });

  it('tests substrings with lower(name) LIKE lower(pattern), which agrees with ILIKE on accents and special cases', async () => {
    // Name search writes its substring test this way so that it uses the GIN index on lower(name) (migration 0005).
    const names = [
      'ÉCOLE Öffentlich',
      'Straße',
      'İstanbul',
      'ΣΟΦΊΑ',
      'Ǆemal',
      'café_50%',
      'Ａｂｃ',
      'résumé',
    ];
    const patterns = [
      '%école%',
      '%STRASSE%',
      '%straße%',
      '%istanbul%',
      '%i̇stanbul%',
      '%σοφία%',
      '%ǆ%',
      '%\\_50\\%%',
      '%ａｂ%',
      '%RÉSUMÉ%',
    ];
    const { rows } = await sql<{ name: string; pattern: string; ilike: boolean; lowered: boolean }>`
      SELECT n AS name, p AS pattern, n ILIKE p AS ilike, lower(n) LIKE lower(p) AS lowered
      FROM unnest(${names}::text[]) n, unnest(${patterns}::text[]) p`.execute(database.db);
    expect(rows).toHaveLength(names.length * patterns.length);
    expect(rows.filter((r) => r.ilike !== r.lowered)).toEqual([]);
    expect(rows.filter((r) => r.ilike).length).toBeGreaterThan(5);
  });

  it('rejects a search with neither point nor query', async () => {
    await expect(core.search({})).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('rejects out-of-range and non-finite coordinates naming the field', async () => {
    for (const point of [
      { lat: 91, lng: 0 },
      { lat: Number.NaN, lng: 0 },
      { lat: 0, lng: Number.POSITIVE_INFINITY },
    ]) {
      const error = await core.search({ point }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GeoSearchError);
      expect((error as GeoSearchError).violations[0]?.field).toMatch(/^point\.(lat|lng)$/);
    }
  });

  it('counts the boundary of a footprint as inside', async () => {
    await core.importThings([square('sq-edge', 'Edge Square', 100, 10, 1)]);
    const onEdge = await core.search({ point: { lng: 100, lat: 10.5 } });
    expect(onEdge.hits.map((h) => h.thing.externalId)).toContain('sq-edge');
    const corner = await core.search({ point: { lng: 101, lat: 11 } });
    expect(corner.hits.map((h) => h.thing.externalId)).toContain('sq-edge');
  });
});
