import { readFileSync } from 'node:fs';
import { type SearchServiceClient, SearchServiceDefinition, type ThingView } from '@geosearch/generated';
import { credentials, Client as GrpcClient, Metadata, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { type Channel, ClientError, createChannel, createClient, Status } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  databaseEnv,
  type ServerProcess,
  startServerProcess,
  stopAllServers,
} from '../../../test/support/server-process.js';

/** Statuses a well-behaved server may answer to arbitrary well-formed requests. */
const acceptable = new Set([Status.OK, Status.INVALID_ARGUMENT, Status.NOT_FOUND, Status.RESOURCE_EXHAUSTED]);

let server: ServerProcess;
let channel: Channel;
let client: SearchServiceClient;
let calls = 0;

function rssMb(pid: number): number {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return Number(match?.[1] ?? 0) / 1024;
}

async function statusOf(call: Promise<unknown>): Promise<Status> {
  calls++;
  try {
    await call;
    return Status.OK;
  } catch (error) {
    if (error instanceof ClientError) return error.code;
    throw error;
  }
}

beforeAll(async () => {
  server = await startServerProcess({ env: await databaseEnv('pglite') });
  channel = createChannel(server.address, undefined, { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  client = createClient(SearchServiceDefinition, channel);
});
afterAll(async () => {
  channel?.close();
  await stopAllServers();
});

const anyNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    90,
    -90,
    180,
    -180,
    1e308,
  ),
  fc.double({ min: -200, max: 200 }),
);
const anyInt = fc.oneof(fc.integer(), fc.constantFrom(0, -1, 1, 1000, 1001, 2 ** 31 - 1, -(2 ** 31)));
/** Any enum number, known or not. */
const anyView = anyInt.map((n) => n as ThingView);
const anyText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom("'; DROP TABLE things; --", '%', '_', '\\', '\u0000', 'a'.repeat(100_000)),
);
const anyPoint = fc.option(fc.record({ lat: anyNumber, lng: anyNumber }), { nil: undefined });
const anyKey = fc.oneof(
  fc.record({
    $case: fc.constant('id' as const),
    value: fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constant(0)),
  }),
  fc.record({ $case: fc.constant('externalId' as const), value: anyText }),
  fc.constant(undefined),
);
/** JSON nested `depth` levels deep, as text. */
const deepJson = fc.integer({ min: 1, max: 5000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`);
const geojsonText = fc.oneof(
  fc.json(),
  deepJson,
  anyText,
  fc.array(fc.tuple(anyNumber, anyNumber), { minLength: 0, maxLength: 50 }).map((ring) =>
    JSON.stringify({
      type: 'Feature',
      id: 'fuzz',
      properties: { name: 'fuzz' },
      geometry: { type: 'Polygon', coordinates: [ring] },
    }),
  ),
);

describe('fuzzed requests against the real server', () => {
  it('answers well-formed random requests with a proper status and stays up', async () => {
    const rssBefore = rssMb(server.child.pid ?? 0);
    const request = fc.oneof(
      fc
        .record({ point: anyPoint, query: anyText, pageSize: anyInt, pageToken: anyText, view: anyView })
        .map((r) => () => client.search(r)),
      fc
        .record({ point: anyPoint, limit: anyInt, maxDistanceMeters: anyNumber, view: anyView })
        .map((r) => () => client.nearby(r)),
      fc.record({ key: anyKey, view: anyView }).map((r) => () => client.getThing(r)),
      fc.record({ key: anyKey }).map((r) => () => client.deleteThing(r)),
      fc.array(geojsonText, { maxLength: 5 }).map((geojson) => () => {
        async function* stream() {
          yield { geojson, idProperty: '', nameProperty: '' };
        }
        return client.importThings(stream());
      }),
    );
    await fc.assert(
      fc.asyncProperty(request, async (call) => {
        const status = await statusOf(call());
        expect(acceptable.has(status), `status ${Status[status]}`).toBe(true);
      }),
      { numRuns: 4000 },
    );
    expect(
      (await client.search({ point: { lat: 52.52, lng: 13.405 } })).results.length,
    ).toBeGreaterThanOrEqual(0);
    const growth = rssMb(server.child.pid ?? 0) - rssBefore;
    expect(growth, `RSS grew ${growth.toFixed(1)} MB`).toBeLessThan(200);
  }, 600_000);

  it('answers undecodable protobuf bytes with INTERNAL or INVALID_ARGUMENT, never UNKNOWN', async () => {
    const raw = new GrpcClient(server.address, credentials.createInsecure());
    const send = (method: string, bytes: Uint8Array) =>
      new Promise<Status>((resolve) => {
        calls++;
        raw.makeUnaryRequest(
          `/geosearch.v1.SearchService/${method}`,
          () => Buffer.from(bytes),
          (b: Buffer) => b,
          null,
          new Metadata(),
          { deadline: Date.now() + 10_000 },
          (error: ServiceError | null) => resolve(error ? error.code : Status.OK),
        );
      });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('Search', 'Nearby', 'GetThing', 'DeleteThing', 'Monitor'),
        fc.uint8Array({ maxLength: 512 }),
        async (method, bytes) => {
          const status = await send(method, bytes);
          expect([...acceptable, Status.INTERNAL]).toContain(status);
        },
      ),
      { numRuns: 1500 },
    );
    raw.close();
    expect(calls).toBeGreaterThanOrEqual(5000);
    expect(server.child.exitCode).toBeNull();
  }, 600_000);
});
