import { once } from 'node:events';
import { connect } from 'node:http2';
import {
  type ImportThingsRequest,
  SearchRequest,
  type SearchResponse,
  SearchServiceDefinition,
  type Thing,
} from '@geosearch/generated';
import { ServerCredentials } from '@grpc/grpc-js';
import { ClientError, createChannel, createClient, Metadata, ServerError, Status } from 'nice-grpc';
import { HealthDefinition, HealthServiceImpl, HealthState } from 'nice-grpc-server-health';
import { afterEach, expect, it } from 'vitest';
import { createGrpcHost, type GrpcHost, type RpcContext } from '../src/rpc/grpc-host.js';
import type { SearchServiceHandlers } from '../src/rpc/search-service.js';

const thing = (id: number): Thing => ({
  id,
  externalId: `t-${id}`,
  name: `Thing ${id}`,
  properties: { id, tags: ['a', 'b'], nested: { ok: true } },
  geometryGeojson: '',
  bbox: { minLng: 1, minLat: 2, maxLng: 3, maxLat: 4 },
  createTime: new Date('2026-01-02T03:04:05.678Z'),
  updateTime: new Date('2026-01-02T03:04:06.000Z'),
  version: 3,
});

const unimplemented = async (): Promise<never> => {
  throw new ServerError(Status.UNIMPLEMENTED, 'not in this test');
};

/** SearchService handlers for the tests: the ones given, UNIMPLEMENTED otherwise. */
function handlers(overrides: Partial<SearchServiceHandlers>): SearchServiceHandlers {
  return {
    search: unimplemented,
    nearby: unimplemented,
    getThing: unimplemented,
    importThings: unimplemented,
    deleteThing: unimplemented,
    monitor: unimplemented,
    ...overrides,
  };
}

const running: { host: GrpcHost; close: () => void }[] = [];
afterEach(async () => {
  for (const { host, close } of running.splice(0)) {
    close();
    host.forceShutdown();
  }
});

/** Starts `host` on a free port and returns SearchService and Health clients to it. */
async function serve(host: GrpcHost) {
  const port = await host.listen('127.0.0.1:0', ServerCredentials.createInsecure());
  const channel = createChannel(`127.0.0.1:${port}`);
  running.push({ host, close: () => channel.close() });
  return {
    port,
    search: createClient(SearchServiceDefinition, channel),
    health: createClient(HealthDefinition, channel),
  };
}

it('answers a unary call with the complete message, headers and trailers', async () => {
  const host = createGrpcHost();
  const seen: { query: string; requestId: string | undefined; custom: string | undefined }[] = [];
  host.add(
    SearchServiceDefinition,
    handlers({
      async search(request, context) {
        seen.push({
          query: request.query,
          requestId: context.firstMetadata('x-request-id'),
          custom: context.metadata.get('x-custom'),
        });
        context.setHeader('x-request-id', 'abc');
        context.trailer.set('x-trailer', 'done');
        return { results: [{ thing: thing(7), score: 0.5 }], nextPageToken: 'next' };
      },
    }),
  );
  const { search } = await serve(host);
  let header: Metadata | undefined;
  let trailer: Metadata | undefined;
  const response = await search.search(
    { query: 'berlin' },
    {
      metadata: Metadata({ 'x-request-id': 'from-caller', 'x-custom': 'yes' }),
      onHeader: (h) => {
        header = h;
      },
      onTrailer: (t) => {
        trailer = t;
      },
    },
  );
  expect(response).toEqual({
    results: [{ thing: thing(7), score: 0.5 }],
    nextPageToken: 'next',
  } satisfies SearchResponse);
  expect(seen).toEqual([{ query: 'berlin', requestId: 'from-caller', custom: 'yes' }]);
  expect(header?.get('x-request-id')).toBe('abc');
  expect(trailer?.get('x-trailer')).toBe('done');
});

it("gives each call its caller's address as peer, per connection", async () => {
  const host = createGrpcHost();
  const peers: string[] = [];
  host.add(
    SearchServiceDefinition,
    handlers({
      async search(_request, context) {
        peers.push(context.peer);
        return { results: [], nextPageToken: '' };
      },
    }),
  );
  const { port } = await serve(host);
  const message = SearchRequest.encode(SearchRequest.fromPartial({ query: 'peer' })).finish();
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  // Two connections made by hand, whose local ports are the peers' ports; two calls on each.
  const sessions = [connect(`http://127.0.0.1:${port}`), connect(`http://127.0.0.1:${port}`)];
  for (const session of sessions) {
    session.on('error', () => {});
    await once(session, 'connect');
  }
  try {
    for (let i = 0; i < 2; i++) {
      for (const session of sessions) {
        const stream = session.request({
          ':method': 'POST',
          ':path': '/geosearch.v1.SearchService/Search',
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        const trailers = once(stream, 'trailers');
        stream.end(frame);
        stream.resume();
        expect((await trailers)[0]['grpc-status']).toBe('0');
      }
    }
    const expected = sessions.map((session) => `127.0.0.1:${session.socket.localPort}`);
    expect(peers).toEqual([...expected, ...expected]);
  } finally {
    for (const session of sessions) session.close();
  }
});

it('sends a ServerError as its status with the trailers set, and anything else as UNKNOWN', async () => {
  const unexpected: { error: unknown; path: string }[] = [];
  const host = createGrpcHost({ onUnexpectedError: (error, path) => unexpected.push({ error, path }) });
  host.add(
    SearchServiceDefinition,
    handlers({
      async search(_request, context) {
        context.trailer.set('geosearch-error-code', 'invalid_argument');
        throw new ServerError(Status.INVALID_ARGUMENT, 'point.lat: must be between -90 and 90');
      },
      getThing: () => {
        throw new TypeError('secret internals');
      },
    }),
  );
  const { search } = await serve(host);
  let trailer: Metadata | undefined;
  const error = await search
    .search({ query: 'x' }, { onTrailer: (t) => (trailer = t) })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ClientError);
  expect((error as ClientError).code).toBe(Status.INVALID_ARGUMENT);
  expect((error as ClientError).details).toBe('point.lat: must be between -90 and 90');
  expect(trailer?.get('geosearch-error-code')).toBe('invalid_argument');

  // Thrown synchronously, not even a promise: still a status, and the cause only on the server.
  const unknown = await search.getThing({}).catch((e: unknown) => e);
  expect((unknown as ClientError).code).toBe(Status.UNKNOWN);
  expect((unknown as ClientError).details).not.toMatch(/secret/);
  expect(unexpected).toHaveLength(1);
  expect(unexpected[0]?.path).toBe('/geosearch.v1.SearchService/GetThing');
  expect(String(unexpected[0]?.error)).toMatch(/secret internals/);
});

it("aborts the handler's signal when the caller cancels or its deadline passes", async () => {
  const host = createGrpcHost();
  const aborted: string[] = [];
  const started: string[] = [];
  const waitForAbort = async (request: { query: string }, context: RpcContext) => {
    started.push(request.query);
    await once(context.signal, 'abort');
    aborted.push(request.query);
    expect(context.cancelled).toBe(true);
    throw context.signal.reason;
  };
  host.add(SearchServiceDefinition, handlers({ search: waitForAbort }));
  const { search, port } = await serve(host);

  const controller = new AbortController();
  const cancelled = search
    .search({ query: 'cancel' }, { signal: controller.signal })
    .catch((e: unknown) => e);
  await expect.poll(() => started).toEqual(['cancel']);
  controller.abort();
  expect(((await cancelled) as Error).name).toBe('AbortError');
  await expect.poll(() => aborted).toEqual(['cancel']);

  // A deadline sent as grpc-timeout by a caller that does not cancel when it passes (grpc-js clients
  // cancel, which would abort the signal anyway): grpc-js answers DEADLINE_EXCEEDED, and the handler's
  // signal aborts too.
  const session = connect(`http://127.0.0.1:${port}`);
  const message = SearchRequest.encode(SearchRequest.fromPartial({ query: 'deadline' })).finish();
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  const stream = session.request({
    ':method': 'POST',
    ':path': '/geosearch.v1.SearchService/Search',
    'content-type': 'application/grpc',
    te: 'trailers',
    'grpc-timeout': '200m',
  });
  // The status comes in the trailers, or in the headers when no message was sent (trailers-only).
  const trailers = new Promise<Record<string, unknown>>((resolve) => {
    stream.once('response', (headers) => headers['grpc-status'] !== undefined && resolve(headers));
    stream.once('trailers', resolve);
  });
  stream.end(frame);
  stream.resume();
  expect((await trailers)['grpc-status']).toBe(String(Status.DEADLINE_EXCEEDED));
  session.close();
  await expect.poll(() => aborted).toEqual(['cancel', 'deadline']);
});

it('hands a client stream over message by message, in order', async () => {
  const host = createGrpcHost();
  host.add(
    SearchServiceDefinition,
    handlers({
      async importThings(requests) {
        const texts: string[] = [];
        for await (const request of requests) texts.push(...request.geojson);
        return {
          created: texts.length,
          updated: 0,
          rejected: 0,
          rejections: texts.map((text, index) => ({ index, externalId: text, reason: '' })),
        };
      },
    }),
  );
  const { search } = await serve(host);
  async function* requests(): AsyncIterable<Partial<ImportThingsRequest>> {
    for (let i = 0; i < 50; i++) yield { geojson: [`a${i}`, `b${i}`] };
  }
  const response = await search.importThings(requests());
  expect(response.created).toBe(100);
  expect(response.rejections.map((r) => r.externalId).slice(0, 4)).toEqual(['a0', 'b0', 'a1', 'b1']);
  expect(response.rejections.at(-1)?.externalId).toBe('b49');
});

it("aborts a client stream's signal when the caller cancels it", async () => {
  const host = createGrpcHost();
  const received: string[] = [];
  const outcome: { ended?: string; aborted?: boolean } = {};
  host.add(
    SearchServiceDefinition,
    handlers({
      async importThings(requests, context) {
        try {
          for await (const request of requests) received.push(...request.geojson);
          outcome.ended = 'normally';
        } catch (error) {
          outcome.ended = String(error);
        }
        // nice-grpc's client half-closes, then cancels: the end may come first, the abort after it.
        await once(AbortSignal.any([context.signal, AbortSignal.timeout(2_000)]), 'abort');
        outcome.aborted = context.signal.aborted;
        throw context.signal.reason;
      },
    }),
  );
  const { search } = await serve(host);
  const controller = new AbortController();
  async function* requests(): AsyncIterable<Partial<ImportThingsRequest>> {
    yield { geojson: ['first'] };
    await expect.poll(() => received).toEqual(['first']);
    controller.abort();
    await new Promise(() => {}); // never ends on its own: only the cancellation ends the call
  }
  const error = await search.importThings(requests(), { signal: controller.signal }).catch((e: unknown) => e);
  expect((error as Error).name).toBe('AbortError');
  await expect.poll(() => outcome.aborted).toBe(true);
  expect(outcome.ended).toBeDefined();
});

it('runs a nice-grpc implementation, and ends its response streams with OK on endStreams', async () => {
  const host = createGrpcHost();
  const state = HealthState();
  state.setStatus('healthy', 'geosearch.v1.SearchService');
  host.addImplementation(HealthDefinition, HealthServiceImpl(state));
  const { health } = await serve(host);

  // Partial responses (nice-grpc style) go through fromPartial.
  expect(await health.check({ service: 'geosearch.v1.SearchService' })).toEqual({ status: 1 });
  const missing = await health.check({ service: 'nope' }).catch((e: unknown) => e);
  expect((missing as ClientError).code).toBe(Status.NOT_FOUND);

  const updates: number[] = [];
  const watching = (async () => {
    for await (const update of health.watch({ service: 'geosearch.v1.SearchService' })) {
      updates.push(update.status);
    }
  })();
  await expect.poll(() => updates).toEqual([1]);
  state.setStatus('unhealthy', 'geosearch.v1.SearchService');
  await expect.poll(() => updates).toEqual([1, 2]);
  host.endStreams();
  await watching; // ends without an error
  expect(updates).toEqual([1, 2]);

  // A stream started after endStreams ends at once, after its first message.
  const later: number[] = [];
  for await (const update of health.watch({ service: 'geosearch.v1.SearchService' }))
    later.push(update.status);
  expect(later).toEqual([2]);
});

it('takes an implementation whose methods are on its prototype (a class instance)', async () => {
  class Checker {
    constructor(private readonly status: number) {}
    async check() {
      return { status: this.status };
    }
    async *watch() {
      yield { status: this.status };
    }
  }
  const host = createGrpcHost();
  host.addImplementation(HealthDefinition, new Checker(2));
  const { health } = await serve(host);
  expect(await health.check({ service: '' })).toEqual({ status: 2 });
});

it('refuses services added after listen, and a handler missing for a method', async () => {
  const host = createGrpcHost();
  expect(() => host.add(SearchServiceDefinition, { search: unimplemented } as never)).toThrow(
    /no handler for \/geosearch.v1.SearchService\/Nearby/,
  );
  await serve(host);
  expect(() => host.add(SearchServiceDefinition, handlers({}))).toThrow(/before listen/);
});
