import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  databaseEnv,
  e2eBackends,
  type ServerProcess,
  startServerProcess,
  stopAllServers,
} from '../../../test/support/server-process.js';
import { parseGeometry } from '../src/geometry.js';
import type { GeoJsonFeature, ImportProgress } from '../src/requests.js';
import { createSearchClient, type SearchClient } from '../src/search-client.js';
import { SearchClientError } from '../src/search-client-error.js';

afterAll(stopAllServers);

async function failure(promise: Promise<unknown>): Promise<SearchClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SearchClientError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const square = (
  id: string,
  lng: number,
  lat: number,
  extra: Record<string, unknown> = {},
): GeoJsonFeature => ({
  type: 'Feature',
  id,
  properties: { name: `Square ${id}`, ...extra },
  geometry: {
    type: 'Polygon',
    coordinates: [
      [
        [lng, lat],
        [lng + 0.5, lat],
        [lng + 0.5, lat + 0.5],
        [lng, lat + 0.5],
        [lng, lat],
      ],
    ],
  },
});

describe.each(e2eBackends)('SDK against the server binary on %s', (backend) => {
  let server: ServerProcess;
  let client: SearchClient;

  beforeAll(async () => {
    server = await startServerProcess({ env: await databaseEnv(backend) });
    client = createSearchClient({ targets: [server.address] });
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it('finds Germany for Berlin, and not for the swapped axes, as typed plain objects', async () => {
    const berlin = await client.search({ point: { lat: 52.52, lng: 13.405 } });
    expect(berlin.results.map((hit) => hit.thing.name)).toEqual(['Germany']);
    const [hit] = berlin.results;
    expect(hit?.score).toBe(1);
    expect(hit?.thing).toMatchObject({ id: expect.any(Number), externalId: expect.any(String), version: 1 });
    expect(hit?.thing.geometryGeojson).toBeUndefined();
    expect(hit?.thing.createTime).toBeInstanceOf(Date);
    expect(hit?.thing.bbox?.minLng).toBeLessThan(13.405);
    expect(berlin.nextPageToken).toBeUndefined();
    const swapped = await client.search({ point: { lat: 13.405, lng: 52.52 } });
    expect(swapped.results.map((h) => h.thing.name)).not.toContain('Germany');
  });

  it('pages a name search and returns geometries in the full view', async () => {
    const first = await client.search({ query: 'united', pageSize: 2, view: 'full' });
    expect(first.results).toHaveLength(2);
    expect(first.nextPageToken).toBeTypeOf('string');
    expect(parseGeometry(first.results[0]?.thing ?? { geometryGeojson: undefined })?.type).toBe(
      'MultiPolygon',
    );
    const second = await client.search({
      query: 'united',
      pageSize: 2,
      ...(first.nextPageToken ? { pageToken: first.nextPageToken } : {}),
    });
    const ids = [...first.results, ...second.results].map((h) => h.thing.id);
    expect(ids.length).toBeGreaterThan(2);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('finds the nearest things with distances', async () => {
    const near = await client.nearby({ point: { lat: 52.52, lng: 13.405 }, limit: 3 });
    expect(near).toHaveLength(3);
    expect(near[0]).toMatchObject({ thing: { name: 'Germany' }, distanceMeters: 0 });
    expect(near[1]?.distanceMeters).toBeGreaterThan(0);
    const bounded = await client.nearby({ point: { lat: 52.52, lng: 13.405 }, maxDistanceMeters: 1 });
    expect(bounded.map((h) => h.thing.name)).toEqual(['Germany']);
  });

  it('gets a thing by id and by external id, basic or full', async () => {
    const [hit] = (await client.search({ point: { lat: 52.52, lng: 13.405 } })).results;
    const id = hit?.thing.id ?? 0;
    const byId = await client.getThing({ id });
    expect(byId.name).toBe('Germany');
    expect(byId.geometryGeojson).toBeUndefined();
    const full = await client.getThing({ externalId: byId.externalId, view: 'full' });
    expect(full.id).toBe(id);
    expect(parseGeometry(full)?.coordinates.length).toBeGreaterThan(0);
  });

  it('reports the instance in monitor', async () => {
    const status = await client.monitor();
    expect(status).toMatchObject({ databaseBackend: backend, schemaVersion: '0005_name_lower_gin' });
    expect(status.nThings).toBeGreaterThan(200);
    expect(status.instanceId).not.toBe('');
  });

  it('imports features, collections and texts; reports rejections; upserts on re-import; deletes', async () => {
    const progress: ImportProgress[] = [];
    const items = [
      square('sdk-a', 10, -40),
      { type: 'FeatureCollection' as const, features: [square('sdk-b', 11, -40), square('sdk-c', 12, -40)] },
      JSON.stringify(square('sdk-d', 13, -40)),
      '{"type":"Feature"',
    ];
    const first = await client.importThings(items, { onProgress: (p) => progress.push(p) });
    expect(first).toMatchObject({ created: 4, updated: 0, rejected: 1 });
    expect(first.rejections).toEqual([
      { index: 4, externalId: undefined, reason: expect.stringMatching(/JSON/) },
    ]);
    expect(progress.at(-1)).toMatchObject({ features: 5, finished: true });

    async function* again() {
      yield square('sdk-a', 10, -40, { kind: 'again' });
    }
    expect(await client.importThings(again())).toEqual({
      created: 0,
      updated: 1,
      rejected: 0,
      rejections: [],
    });
    const updated = await client.getThing({ externalId: 'sdk-a' });
    expect(updated).toMatchObject({ version: 2, properties: { kind: 'again', name: 'Square sdk-a' } });

    const byName = await client.importThings(
      [
        {
          type: 'Feature',
          properties: { code: 'sdk-e', label: 'Labelled' },
          geometry: square('x', 14, -40).geometry,
        },
      ],
      { idProperty: 'code', nameProperty: 'label' },
    );
    expect(byName.created).toBe(1);
    expect((await client.getThing({ externalId: 'sdk-e' })).name).toBe('Labelled');

    const deleted = await client.deleteThing({ externalId: 'sdk-a' });
    expect(deleted).toEqual({ id: updated.id, externalId: 'sdk-a' });
    const gone = await failure(client.getThing({ id: updated.id }));
    expect(gone).toMatchObject({ code: 'not_found', grpcCode: 5, method: 'GetThing' });
  });

  it('streams a large import in several messages under the server message limit', async () => {
    const padding = 'p'.repeat(2000);
    const features = Array.from({ length: 3000 }, (_, i) =>
      square(`sdk-big-${i}`, -170 + (i % 50) * 0.6, 60 + Math.floor(i / 50) * 0.01, { padding }),
    );
    let messages = 0;
    const result = await client.importThings(features, {
      onProgress: (p) => {
        messages = p.messages;
      },
    });
    expect(result).toMatchObject({ created: 3000, rejected: 0 });
    expect(messages).toBeGreaterThanOrEqual(2);
  });

  it('maps refusals to invalid_argument with the fields, and missing things to not_found', async () => {
    const nan = await failure(client.search({ point: { lat: Number.NaN, lng: 0 } }));
    expect(nan).toMatchObject({ code: 'invalid_argument', grpcCode: 3, method: 'Search' });
    expect(nan.violations.map((v) => v.field)).toContain('point.lat');
    expect(nan.message).toMatch(/point\.lat/);

    const far = await failure(client.nearby({ point: { lat: 0, lng: 0 }, maxDistanceMeters: -1 }));
    expect(far.violations.map((v) => v.field)).toContain('maxDistanceMeters');
    const tooBig = await failure(client.search({ query: 'x', pageSize: 1_000_000 }));
    expect(tooBig.violations.map((v) => v.field)).toContain('pageSize');
    const forged = await failure(client.search({ query: 'x', pageToken: 'forged.token' }));
    expect(forged.code).toBe('invalid_argument');

    expect(await failure(client.getThing({ externalId: 'no-such-thing' }))).toMatchObject({
      code: 'not_found',
      violations: [],
    });
    expect(await failure(client.deleteThing({ id: 99_999_999 }))).toMatchObject({ code: 'not_found' });
  });
});
