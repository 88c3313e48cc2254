import type { Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../src/database.js';
import { GeoSearchError } from '../src/errors.js';
import { latestSchemaVersion } from '../src/migrate.js';
import { createSearchCore, type SearchCore } from '../src/search-core.js';
import { backends, clearThings, openTestDatabase, type TestDatabase } from './backends.js';
import { naturalEarthCountry, square } from './fixtures.js';

async function partsOf(db: Kysely<Database>, id: number): Promise<number> {
  const row = await db
    .selectFrom('thing_parts')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('thing_id', '=', id)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe.each(backends)('things on %s', (backend) => {
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
    const tile = { ...square('tile', 'Tile', 10, 20, 2), properties: { name: 'Tile', colour: 'red', n: 3 } };
    const result = await core.importThings([tile, square('other', 'Other', -50, -20, 1)]);
    expect(result.created).toBe(2);
  });

  it('gets a thing by external id and by id, alike', async () => {
    const byExternalId = await core.getThing({ key: { externalId: 'tile' } });
    expect(byExternalId).toMatchObject({
      externalId: 'tile',
      name: 'Tile',
      properties: { name: 'Tile', colour: 'red', n: 3 },
      bbox: { minLng: 10, minLat: 20, maxLng: 12, maxLat: 22 },
      version: 1,
    });
    expect(byExternalId.id).toBeGreaterThan(0);
    expect(byExternalId.createdAt).toBeInstanceOf(Date);
    expect(byExternalId.updatedAt.getTime()).toBeGreaterThanOrEqual(byExternalId.createdAt.getTime());
    expect(byExternalId.geometry).toBeUndefined();
    expect(await core.getThing({ key: { id: byExternalId.id } })).toEqual(byExternalId);
  });

  it('returns the footprint as a GeoJSON MultiPolygon with the full view', async () => {
    const thing = await core.getThing({ key: { externalId: 'tile' }, view: 'full' });
    expect(JSON.parse(thing.geometry ?? '')).toEqual({
      type: 'MultiPolygon',
      coordinates: [square('tile', 'Tile', 10, 20, 2).geometry.coordinates],
    });
  });

  it('answers not_found for a thing that does not exist, and invalid_argument for a bad key', async () => {
    for (const key of [{ id: 987_654_321 }, { externalId: 'nowhere' }]) {
      const error = await core.getThing({ key }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GeoSearchError);
      expect(error).toMatchObject({ code: 'not_found' });
    }
    for (const key of [{}, { id: -1 }, { externalId: '' }, 'tile']) {
      await expect(core.getThing({ key })).rejects.toMatchObject({ code: 'invalid_argument' });
      await expect(core.deleteThing({ key })).rejects.toMatchObject({ code: 'invalid_argument' });
    }
  });

  it('deletes a thing with its parts, then answers not_found', async () => {
    const tile = await core.getThing({ key: { externalId: 'tile' } });
    const other = await core.getThing({ key: { externalId: 'other' } });
    expect(await partsOf(database.db, tile.id)).toBeGreaterThan(0);

    expect(await core.deleteThing({ key: { externalId: 'tile' } })).toEqual({
      id: tile.id,
      externalId: 'tile',
      version: 1,
    });
    expect(await partsOf(database.db, tile.id)).toBe(0);
    await expect(core.getThing({ key: { id: tile.id } })).rejects.toMatchObject({ code: 'not_found' });
    await expect(core.deleteThing({ key: { externalId: 'tile' } })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect((await core.search({ point: { lng: 11, lat: 21 } })).hits).toEqual([]);

    // The other thing and its parts are untouched.
    expect(await partsOf(database.db, other.id)).toBeGreaterThan(0);
    expect(await core.deleteThing({ key: { id: other.id } })).toMatchObject({ externalId: 'other' });
    await expect(core.deleteThing({ key: { id: other.id } })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('removes every subdivided part of a large footprint on delete', async () => {
    await core.importThings([naturalEarthCountry('Canada', '50m')]);
    const thing = await core.getThing({ key: { externalId: '124' } });
    expect(await partsOf(database.db, thing.id)).toBeGreaterThan(10);
    await core.deleteThing({ key: { externalId: '124' } });
    expect(await partsOf(database.db, thing.id)).toBe(0);
  });

  it('reports the version a thing had when deleted', async () => {
    await core.importThings([square('tile', 'Tile again', 10, 20, 3)]);
    expect(await core.deleteThing({ key: { externalId: 'tile' } })).toMatchObject({ version: 2 });
  });

  it('counts things and reports the schema version', async () => {
    expect(await core.countThings()).toBe(2);
    expect(await core.stats()).toEqual({ nThings: 2, schemaVersion: latestSchemaVersion });
    await core.deleteThing({ key: { externalId: 'other' } });
    expect(await core.countThings()).toBe(1);
    await clearThings(database.db);
    expect(await core.stats()).toEqual({ nThings: 0, schemaVersion: latestSchemaVersion });
  });
});
