import { type SearchServiceClient, SearchServiceDefinition, ThingView } from '@geosearch/generated';
import { type Channel, ClientError, createChannel, createClient, Status } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import { ServerReflectionService } from 'nice-grpc-server-reflection';
import { ServerReflectionRequest } from 'nice-grpc-server-reflection/lib/proto/grpc/reflection/v1/reflection_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  databaseEnv,
  e2eBackends,
  type ServerProcess,
  startServerProcess,
  stopAllServers,
} from '../../../test/support/server-process.js';

afterAll(stopAllServers);

async function statusOf(promise: Promise<unknown>): Promise<{ code: Status; details: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ClientError) return { code: error.code, details: error.details };
    throw error;
  }
  return { code: Status.OK, details: '' };
}

describe.each(e2eBackends)('search-server binary on %s', (backend) => {
  let server: ServerProcess;
  let channel: Channel;
  let client: SearchServiceClient;

  beforeAll(async () => {
    server = await startServerProcess({ env: await databaseEnv(backend) });
    channel = createChannel(server.address, undefined, { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
    client = createClient(SearchServiceDefinition, channel);
  });
  afterAll(async () => {
    channel?.close();
    await server?.stop();
  });

  it('answers Germany for Berlin and not for the swapped axes', async () => {
    const berlin = await client.search({ point: { lat: 52.52, lng: 13.405 } });
    expect(berlin.results.map((r) => r.thing?.name)).toEqual(['Germany']);
    const swapped = await client.search({ point: { lat: 13.405, lng: 52.52 } });
    expect(swapped.results.map((r) => r.thing?.name)).not.toContain('Germany');
  });

  it('searches by name with pages and a full view', async () => {
    const first = await client.search({ query: 'united', pageSize: 2, view: ThingView.THING_VIEW_FULL });
    expect(first.results).toHaveLength(2);
    expect(first.nextPageToken).not.toBe('');
    expect(JSON.parse(first.results[0]?.thing?.geometryGeojson ?? '{}').type).toBe('MultiPolygon');
    const second = await client.search({ query: 'united', pageSize: 2, pageToken: first.nextPageToken });
    const ids = [...first.results, ...second.results].map((r) => r.thing?.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('finds the nearest things with distances in metres', async () => {
    const near = await client.nearby({ point: { lat: 52.52, lng: 13.405 }, limit: 3 });
    expect(near.results[0]?.thing?.name).toBe('Germany');
    expect(near.results[0]?.distanceMeters).toBe(0);
    expect(near.results[1]?.distanceMeters).toBeGreaterThan(0);
  });

  it('imports, gets, and deletes a thing', async () => {
    const square = {
      type: 'Feature',
      id: 'e2e-square',
      properties: { name: 'E2E Square', kind: 'test' },
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [10, -40],
            [11, -40],
            [11, -39],
            [10, -39],
            [10, -40],
          ],
        ],
      },
    };
    async function* stream() {
      yield { geojson: [JSON.stringify(square), '{"type":"Feature"'], idProperty: '', nameProperty: '' };
    }
    const imported = await client.importThings(stream());
    expect(imported).toMatchObject({ created: 1, updated: 0, rejected: 1 });
    expect(imported.rejections[0]).toMatchObject({ index: 1, reason: expect.stringContaining('JSON') });
    const got = await client.getThing({ key: { $case: 'externalId', value: 'e2e-square' } });
    expect(got.thing).toMatchObject({ name: 'E2E Square', properties: { kind: 'test' }, version: 1 });
    const deleted = await client.deleteThing({ key: { $case: 'id', value: got.thing?.id ?? 0 } });
    expect(deleted.externalId).toBe('e2e-square');
    expect(
      (await statusOf(client.getThing({ key: { $case: 'externalId', value: 'e2e-square' } }))).code,
    ).toBe(Status.NOT_FOUND);
  });

  it('reports itself in Monitor', async () => {
    const monitor = await client.monitor({});
    expect(monitor.nThings).toBeGreaterThan(200);
    expect(monitor.schemaVersion).toBe('0005_name_lower_gin');
    expect(monitor.databaseBackend).toBe(backend);
    expect(monitor.uptimeSeconds).toBeGreaterThan(0);
  });

  it('rejects bad input with INVALID_ARGUMENT naming the field, and stays up', async () => {
    const cases: [Promise<unknown>, RegExp][] = [
      [client.search({ point: { lat: Number.NaN, lng: 0 } }), /point\.lat/],
      [client.search({ point: { lat: 0, lng: Number.POSITIVE_INFINITY } }), /point\.lng/],
      [client.search({ point: { lat: 95, lng: 0 } }), /point\.lat/],
      [client.search({ query: 'x', pageSize: 1_000_000 }), /pageSize/],
      [client.search({ query: 'x', pageToken: 'forged.token' }), /page_token/],
      [client.search({}), /point, a query, or both/],
      [client.nearby({ point: { lat: 0, lng: 0 }, maxDistanceMeters: -1 }), /maxDistanceMeters/],
    ];
    for (const [call, field] of cases) {
      const { code, details } = await statusOf(call);
      expect(code).toBe(Status.INVALID_ARGUMENT);
      expect(details).toMatch(field);
    }
    expect((await client.search({ point: { lat: 52.52, lng: 13.405 } })).results).toHaveLength(1);
  });

  it('refuses a 10 MB message with RESOURCE_EXHAUSTED and stays up', async () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const { code } = await statusOf(client.search({ query: huge }));
    expect(code).toBe(Status.RESOURCE_EXHAUSTED);
    expect((await client.monitor({})).nThings).toBeGreaterThan(0);
  });

  it('serves health and reflection', async () => {
    const health = createClient(HealthDefinition, channel);
    expect((await health.check({ service: '' })).status).toBe(1);
    expect((await health.check({ service: 'geosearch.v1.SearchService' })).status).toBe(1);
    const reflection = createClient(ServerReflectionService, channel);
    async function* ask() {
      yield new ServerReflectionRequest().setListServices('');
    }
    const names: string[] = [];
    for await (const response of reflection.serverReflectionInfo(ask())) {
      for (const service of response.getListServicesResponse()?.getServiceList() ?? [])
        names.push(service.getName());
      break;
    }
    expect(names).toEqual(expect.arrayContaining(['geosearch.v1.SearchService', 'grpc.health.v1.Health']));
  });
});
