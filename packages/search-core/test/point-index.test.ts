import type { Feature, Polygon } from 'geojson';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/database.js';
import { createPointIndex } from '../src/point-index/point-index.js';
import { createSearchCore, type SearchCore } from '../src/search-core.js';
import { backends, clearThings, openTestDatabase, type TestDatabase } from './backends.js';
import { naturalEarthCountries, square, squareGrid } from './fixtures.js';

/** A 1 x 1 square at (lng, lat) with a 0.5 x 0.5 hole in its middle. */
function donut(id: string, lng: number, lat: number): Feature<Polygon> {
  const outer = square(id, `Donut ${id}`, lng, lat, 1).geometry.coordinates[0] ?? [];
  const inner = square(id, '', lng + 0.25, lat + 0.25, 0.5).geometry.coordinates[0] ?? [];
  return {
    ...square(id, `Donut ${id}`, lng, lat),
    geometry: { type: 'Polygon', coordinates: [outer, [...inner].reverse()] },
  };
}

/** A deterministic pseudo-random sequence in [0, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The ids of the things covering each point, by PostGIS over the subdivided parts. */
async function coveringInDatabase(db: Kysely<Database>, points: readonly { lng: number; lat: number }[]) {
  const result = await sql<{ i: number; ids: string | null }>`
    SELECT u.i, (SELECT string_agg(DISTINCT p.thing_id::text, ',')
                 FROM thing_parts p WHERE ST_Covers(p.geom, ST_SetSRID(ST_MakePoint(u.x, u.y), 4326))) AS ids
    FROM unnest(${points.map((p) => p.lng)}::float8[], ${points.map((p) => p.lat)}::float8[])
         WITH ORDINALITY AS u(x, y, i)
    ORDER BY u.i`.execute(db);
  return result.rows.map((row) =>
    (row.ids ?? '')
      .split(',')
      .filter(Boolean)
      .map(Number)
      .sort((a, b) => a - b),
  );
}

describe.each(backends)('point index on %s', (backend) => {
  let database: TestDatabase;
  let core: SearchCore;
  const events: string[] = [];

  beforeAll(async () => {
    database = await openTestDatabase(backend, { migrated: true });
    core = await createSearchCore({ db: database.db, pointIndex: true, onEvent: (e) => events.push(e.name) });
  });
  afterAll(async () => {
    await database?.close();
  });

  it('finds exactly the things PostGIS finds, boundaries, holes and subdivided countries included', async () => {
    await clearThings(database.db);
    const countries = naturalEarthCountries('50m');
    const imported = await core.importThings([
      ...countries,
      ...squareGrid(20, 20, 0.5).map((f) => ({ ...f, id: `grid-${f.id}` })),
      donut('d1', 30, -60),
      donut('d2', 30.5, -60), // overlaps d1, and its hole overlaps d1's
    ]);
    expect(imported.rejected).toBe(0);
    expect((await core.syncPointIndex())?.state).toBe('ready');

    const next = random(42);
    const points: { lng: number; lat: number }[] = [];
    for (let i = 0; i < 3000; i++) points.push({ lng: next() * 360 - 180, lat: next() * 180 - 90 });
    // Dense where the grid and donuts are, and their exact corners and edge midpoints (on boundaries).
    for (let i = 0; i < 1000; i++) points.push({ lng: next() * 20, lat: next() * 20 });
    for (let i = 0; i < 400; i++) points.push({ lng: 29.9 + next() * 1.7, lat: -60.1 + next() * 1.2 });
    for (let x = 0; x <= 4; x += 0.25) for (let y = 0; y <= 4; y += 0.25) points.push({ lng: x, lat: y });
    for (const [x, y] of [
      [30.25, -59.5],
      [30.5, -59.75],
      [30.75, -59.5],
      [31, -59.25],
      [31.5, -60],
      [30.5, -59.5],
    ]) {
      points.push({ lng: x as number, lat: y as number });
    }
    // Vertices of the countries' outlines.
    for (const country of countries.slice(0, 60)) {
      const polygons =
        country.geometry.type === 'MultiPolygon'
          ? country.geometry.coordinates
          : [country.geometry.coordinates];
      for (const ring of polygons[0] ?? []) {
        for (const [lng = 0, lat = 0] of ring.filter((_, k) => k % 17 === 0)) points.push({ lng, lat });
      }
    }

    const expected = await coveringInDatabase(database.db, points);
    events.length = 0;
    const found = await Promise.all(
      points.map(async (point) => (await core.search({ point, pageSize: 1000 })).hits.map((h) => h.thing.id)),
    );
    // From memory, but for points within a few units of the stored coordinates of an edge (µm to mm here),
    // which the index leaves to the database: only the points placed on boundaries can be that close (all
    // but the first 4,400, which are random).
    const fromMemory = events.filter((name) => name === 'search.point_index').length;
    const fromDatabase = events.filter((name) => name === 'search.point').length;
    expect(fromMemory + fromDatabase).toBe(points.length);
    expect(fromDatabase).toBeGreaterThan(0);
    expect(fromDatabase).toBeLessThanOrEqual(points.length - 4400);
    // Each of them counted as such (the index was fresh throughout).
    expect(events.filter((name) => name === 'search.point_index_near_edge')).toHaveLength(fromDatabase);
    const mismatches = points
      .map((point, i) => ({ point, expected: expected[i], found: found[i] }))
      .filter((m) => JSON.stringify(m.expected) !== JSON.stringify(m.found));
    expect(mismatches).toEqual([]);
    // An index loaded without counting first (as on PGlite) grows its arrays instead, and answers the same.
    const grown = await createSearchCore({ db: database.db, pointIndex: { sizeAhead: false } });
    expect((await grown.syncPointIndex())?.state).toBe('ready');
    const foundGrown = await Promise.all(
      points.map(async (point) =>
        (await grown.search({ point, pageSize: 1000 })).hits.map((h) => h.thing.id),
      ),
    );
    expect(foundGrown).toEqual(found);
    // The sample really probes covered points, overlaps and boundaries.
    expect(expected.filter((ids) => ids.length > 0).length).toBeGreaterThan(1000);
    expect(expected.filter((ids) => ids.length > 1).length).toBeGreaterThan(20);
  });

  it('answers like the database: the same things, pages and tokens', async () => {
    await clearThings(database.db);
    const overlapping = Array.from({ length: 25 }, (_, i) =>
      square(`o${i}`, `Overlap ${i}`, -i * 0.01, -i * 0.01, 1),
    );
    await core.importThings(overlapping);
    const plain = await createSearchCore({ db: database.db });
    const point = { lng: 0.5, lat: 0.5 };
    let token = '';
    const pages: string[][] = [];
    do {
      const fromIndex = await core.search({ point, pageSize: 10, pageToken: token });
      const fromDb = await plain.search({ point, pageSize: 10, pageToken: token });
      expect(fromIndex).toEqual(fromDb);
      pages.push(fromIndex.hits.map((h) => h.thing.externalId));
      token = fromIndex.nextPageToken;
    } while (token !== '');
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(core.pointIndexStatus()).toMatchObject({ state: 'ready', things: 25, vertices: 100 });
  });

  it('lets timers and I/O callbacks run between the batches of a full load', async () => {
    await clearThings(database.db);
    await core.importThings(squareGrid(20, 10));
    const index = createPointIndex(database.db);
    // PGlite answers without I/O: a load that never gave the event loop a turn would hold back a server's
    // listen and its first calls until the whole load ended.
    let turns = 0;
    let stop = false;
    const spin = () => {
      if (stop) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const loaded = index.sync();
    const turnsBefore = turns;
    const status = await loaded;
    stop = true;
    expect(status).toMatchObject({ state: 'ready', things: 200 });
    // 200 things read in batches of 50, 100 and 1,000 things, then an empty read.
    expect(turns - turnsBefore).toBeGreaterThanOrEqual(3);
  });

  it('makes writes through the same core searchable when they return', async () => {
    await clearThings(database.db);
    await core.syncPointIndex();
    const at = { lng: 120.5, lat: 10.5 };
    await core.importThings([square('rw', 'First', 120, 10)]);
    expect((await core.search({ point: at })).hits.map((h) => h.thing.name)).toEqual(['First']);
    await core.importThings([square('rw', 'Moved', 150, 10)]);
    expect((await core.search({ point: at })).hits).toEqual([]);
    expect((await core.search({ point: { lng: 150.5, lat: 10.5 } })).hits.map((h) => h.thing.name)).toEqual([
      'Moved',
    ]);
    await core.deleteThing({ key: { externalId: 'rw' } });
    expect((await core.search({ point: { lng: 150.5, lat: 10.5 } })).hits).toEqual([]);
  });

  it('sees writes made elsewhere after a sync, and reads everything again once the change log it needs is pruned', async () => {
    await clearThings(database.db);
    const writer = await createSearchCore({ db: database.db });
    const synced: number[] = [];
    const reader = createPointIndex(database.db, {
      onEvent: (e) => e.name === 'point_index.sync' && synced.push(e.rows),
    });
    const pruner = createPointIndex(database.db, { changeRetentionMs: 0, pruneIntervalMs: 0 });
    expect((await reader.sync()).state).toBe('ready');

    await writer.importThings([square('elsewhere', 'Elsewhere', 60, 60)]);
    expect(reader.covering(60.5, 60.5)).toEqual([]); // not yet synced
    await reader.sync();
    const id = reader.covering(60.5, 60.5)?.[0];
    expect(reader.get(id ?? 0)?.name).toBe('Elsewhere');
    expect((await reader.sync()).loads).toBe(1); // caught up, not read again
    expect(synced).toEqual([1, 0]); // each change is read once

    await writer.importThings([square('elsewhere', 'Renamed', 60, 60)]);
    await pruner.sync(); // loads, then prunes every change record
    const left = await database.db
      .selectFrom('thing_changes')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(left.n)).toBe(0);
    expect((await reader.sync()).loads).toBe(2); // its records are gone: it reads everything again
    expect(reader.get(id ?? 0)?.name).toBe('Renamed');
    await writer.deleteThing({ key: { externalId: 'elsewhere' } });
    expect((await reader.sync()).loads).toBe(2);
    expect(reader.covering(60.5, 60.5)).toEqual([]);
  });

  it('stops answering when stale or too large, and searches still answer from the database', async () => {
    await clearThings(database.db);
    const stale = await createSearchCore({ db: database.db, pointIndex: { maxStalenessMs: 30 } });
    await stale.importThings([square('s', 'Stale', 5, 5)]);
    expect(stale.pointIndexStatus()?.state).toBe('ready');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(stale.pointIndexStatus()?.state).toBe('stale');
    const events: string[] = [];
    const big = await createSearchCore({
      db: database.db,
      pointIndex: { maxBytes: 100 },
      onEvent: (e) => events.push(e.name),
    });
    // Refused by the count before anything is read; without the count, after reading the first batch.
    expect(await big.syncPointIndex()).toMatchObject({
      state: 'too large',
      things: 0,
      error: expect.stringMatching(/counted before reading/),
    });
    const bigUncounted = await createSearchCore({
      db: database.db,
      pointIndex: { maxBytes: 100, sizeAhead: false },
    });
    expect(await bigUncounted.syncPointIndex()).toMatchObject({
      state: 'too large',
      error: expect.stringMatching(/read so far/),
    });
    for (const c of [stale, big]) {
      expect((await c.search({ point: { lng: 5.5, lat: 5.5 } })).hits.map((h) => h.thing.name)).toEqual([
        'Stale',
      ]);
    }
    expect(events).toContain('search.point');
    expect(events).not.toContain('search.point_index');
  });
});

// Two transactions at once need two connections: PGlite has one.
describe.each(backends.filter((b) => b === 'postgres'))(
  'point index with concurrent writers on %s',
  (backend) => {
    let database: TestDatabase;

    beforeAll(async () => {
      database = await openTestDatabase(backend, { migrated: true });
    });
    afterAll(async () => {
      await database?.close();
    });

    it('does not miss a write whose transaction commits after a later one was synced', async () => {
      await clearThings(database.db);
      const reader = createPointIndex(database.db);
      await reader.sync();
      const other = database.connectAgain?.();
      if (!other) throw new Error('no second connection');
      try {
        let release: () => void = () => {};
        const held = new Promise<void>((resolve) => {
          release = resolve;
        });
        let begun: () => void = () => {};
        const started = new Promise<void>((resolve) => {
          begun = resolve;
        });
        // A transaction that writes first and commits last.
        const slow = other.transaction().execute(async (trx) => {
          await sql`
            INSERT INTO things (external_id, name, geom)
            VALUES ('slow', 'Slow', ST_Multi(ST_MakeEnvelope(70, 70, 71, 71, 4326)))`.execute(trx);
          begun();
          await held;
        });
        await started;
        const writer = await createSearchCore({ db: database.db });
        await writer.importThings([square('fast', 'Fast', 80, 80)]);
        await reader.sync();
        expect(reader.covering(80.5, 80.5)).toHaveLength(1);
        expect(reader.covering(70.5, 70.5)).toEqual([]);
        release();
        await slow;
        await reader.sync();
        expect(reader.covering(70.5, 70.5)).toHaveLength(1);
      } finally {
        await other.destroy();
      }
    });
  },
);
