import { randomUUID } from 'node:crypto';
import { type SearchServiceClient, SearchServiceDefinition } from '@geosearch/generated';
import { type Channel, createChannel, createClient, Metadata } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateKafka, startPrivateKafka } from '../../../test/support/private-kafka.js';
import {
  databaseEnv,
  type ServerProcess,
  startServerProcess,
  stopAllServers,
} from '../../../test/support/server-process.js';
import { readTopic as readTopicRecords } from './read-topic.js';

// End-to-end: the real server binary ships to a real Kafka 4.2 broker
// (scripts/services/kafka), read back with a @platformatic/kafka consumer.
// The broker is this file's own: its own run folder and free ports, so
// stopping it for the outage test disturbs no one else's broker.

let kafka: PrivateKafka;
let brokers = '';

beforeAll(async () => {
  kafka = await startPrivateKafka('kafka-e2e');
  brokers = kafka.brokers;
}, 300_000);
afterAll(async () => {
  await stopAllServers();
  await kafka?.close();
}, 120_000);

/** A record read back from a topic, with its value parsed. */
interface Shipped {
  readonly key: string;
  readonly value: Record<string, unknown> & { seq: number };
}

/** Reads `topic` from the beginning until `done` holds for what was read (or `timeoutMs` passes). */
async function readTopic(
  topic: string,
  done: (records: readonly Shipped[]) => boolean,
  timeoutMs = 60_000,
): Promise<Shipped[]> {
  const records = await readTopicRecords({ brokers, topic, timeoutMs, done: (rs) => done(rs as Shipped[]) });
  return records as Shipped[];
}

/** One record per seq (delivery is at least once). */
const unique = (records: readonly Shipped[]) => [...new Map(records.map((r) => [r.value.seq, r])).values()];

const topics = () => {
  const suffix = randomUUID().slice(0, 8);
  return { logs: `logs.e2e-${suffix}`, events: `events.e2e-${suffix}` };
};

async function startShippingServer(
  topic: { logs: string; events: string },
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  return startServerProcess({
    env: {
      ...(await databaseEnv('pglite')),
      GEOSEARCH_KAFKA_BROKERS: brokers,
      GEOSEARCH_KAFKA_LOGS_TOPIC: topic.logs,
      GEOSEARCH_KAFKA_EVENTS_TOPIC: topic.events,
      GEOSEARCH_KAFKA_RETRY_MAX_MS: '1000',
      ...env,
    },
  });
}

/** The counters the server logged when it stopped shipping. */
function finalStats(server: ServerProcess) {
  const line = server.logs.find((l) => l.msg === 'kafka shipping stopped') as
    | {
        logs: { emitted: number; delivered: number; dropped: number; buffered: number };
        events: { emitted: number; delivered: number; dropped: number; buffered: number };
        flushed: boolean;
      }
    | undefined;
  if (!line) throw new Error('the server logged no "kafka shipping stopped" line');
  return line;
}

function square(id: string, lng: number) {
  return JSON.stringify({
    type: 'Feature',
    id,
    properties: { name: id },
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [lng, 10],
          [lng + 0.5, 10],
          [lng + 0.5, 10.5],
          [lng, 10.5],
          [lng, 10],
        ],
      ],
    },
  });
}

describe('kafka shipping with the broker up', () => {
  const topic = topics();
  let server: ServerProcess;
  let channel: Channel;
  let client: SearchServiceClient;

  beforeAll(async () => {
    server = await startShippingServer(topic);
    channel = createChannel(server.address);
    client = createClient(SearchServiceDefinition, channel);
  });
  afterAll(async () => {
    channel?.close();
    await server?.stop();
  });

  it('ships the call line of a request, keyed by instance, with instance and request id', async () => {
    const requestId = `e2e-${randomUUID()}`;
    await client.search({ query: 'germany' }, { metadata: Metadata({ 'x-request-id': requestId }) });
    const { instanceId } = await client.monitor({});
    const records = await readTopic(topic.logs, (rs) => rs.some((r) => r.value.requestId === requestId));
    const call = records.find((r) => r.value.requestId === requestId);
    expect(call?.key).toBe(instanceId);
    expect(call?.value).toMatchObject({
      msg: 'call',
      level: 'info',
      instance: instanceId,
      service: 'search-service',
      method: '/geosearch.v1.SearchService/Search',
      status: 'OK',
      requestId,
      seq: expect.any(Number),
    });
    // Startup lines are shipped too, from seq 1.
    expect(records.find((r) => r.value.seq === 1)?.value.msg).toBeTypeOf('string');
  });

  it('publishes thing.upserted for every imported feature and thing.deleted for a delete', async () => {
    const n = 25;
    const ids = Array.from({ length: n }, (_, i) => `kafka-e2e-${i}`);
    async function* stream() {
      yield { geojson: ids.map((id, i) => square(id, i)), idProperty: '', nameProperty: '' };
    }
    expect(await client.importThings(stream())).toMatchObject({ created: n, rejected: 0 });
    const got = await client.getThing({ key: { $case: 'externalId', value: 'kafka-e2e-3' } });
    await client.deleteThing({ key: { $case: 'externalId', value: 'kafka-e2e-3' } });
    const { instanceId } = await client.monitor({});

    const records = unique(await readTopic(topic.events, (rs) => unique(rs).length >= n + 1));
    const upserted = records.filter((r) => r.value.type === 'thing.upserted');
    expect(upserted.map((r) => r.key).sort()).toEqual([...ids].sort());
    expect(upserted.every((r) => r.value.externalId === r.key && r.value.instance === instanceId)).toBe(true);
    expect(upserted.find((r) => r.key === 'kafka-e2e-3')?.value).toMatchObject({
      id: got.thing?.id,
      version: 1,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const deleted = records.filter((r) => r.value.type === 'thing.deleted');
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({
      key: 'kafka-e2e-3',
      value: { id: got.thing?.id, externalId: 'kafka-e2e-3', instance: instanceId },
    });
    expect(records).toHaveLength(n + 1);
  });
});

describe('kafka shipping at shutdown', () => {
  it('delivers the records held at SIGTERM before exiting, within the shutdown bound', async () => {
    const topic = topics();
    // A long linger keeps records in the buffer, so SIGTERM finds them there.
    const server = await startShippingServer(topic, {
      GEOSEARCH_KAFKA_LINGER_MS: '10000',
      GEOSEARCH_SHUTDOWN_TIMEOUT_MS: '8000',
    });
    const channel = createChannel(server.address);
    const client = createClient(SearchServiceDefinition, channel);
    const requestIds = Array.from({ length: 20 }, () => `sigterm-${randomUUID()}`);
    for (const requestId of requestIds) {
      await client.getThing(
        { key: { $case: 'id', value: 1 } },
        { metadata: Metadata({ 'x-request-id': requestId }) },
      );
    }
    channel.close();
    const started = Date.now();
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(8_000);

    const flushing = server.logs.find((l) => l.msg === 'kafka flushing held records');
    expect(flushing?.logsBuffered).toBeGreaterThanOrEqual(requestIds.length);
    const stats = finalStats(server);
    expect(stats.flushed).toBe(true);
    expect(stats.logs).toMatchObject({ dropped: 0, buffered: 0 });
    expect(stats.logs.emitted).toBe(stats.logs.delivered);
    // Read until every record delivered before the summary line is there.
    const records = unique(await readTopic(topic.logs, (rs) => unique(rs).length >= stats.logs.delivered));
    expect(records.map((r) => r.value.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: stats.logs.delivered }, (_, i) => i + 1),
    );
    const shippedIds = new Set(records.map((r) => r.value.requestId));
    expect(requestIds.filter((id) => !shippedIds.has(id))).toEqual([]);
  }, 120_000);
});

describe('kafka shipping with the broker down at start', () => {
  it('starts and serves without the broker, then delivers the backlog when it comes, dropping nothing', async () => {
    await kafka.control('stop');
    const topic = topics();
    const server = await startShippingServer(topic);
    const channel = createChannel(server.address);
    const client = createClient(SearchServiceDefinition, channel);
    try {
      const requestIds = Array.from({ length: 30 }, () => `outage-${randomUUID()}`);
      for (const requestId of requestIds) {
        const page = await client.search(
          { point: { lat: 52.52, lng: 13.405 } },
          { metadata: Metadata({ 'x-request-id': requestId }) },
        );
        expect(page.results.map((r) => r.thing?.name)).toEqual(['Germany']);
      }
      const deadline = Date.now() + 30_000;
      while (!server.logs.some((l) => l.msg === 'kafka unreachable: holding records and retrying')) {
        if (Date.now() > deadline) throw new Error('the server never reported Kafka unreachable');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await client.monitor({})).logsDropped).toBe(0);

      await kafka.control('start');
      const records = unique(
        await readTopic(topic.logs, (rs) =>
          requestIds.every((id) => rs.some((r) => r.value.requestId === id)),
        ),
      );
      expect(requestIds.filter((id) => !records.some((r) => r.value.requestId === id))).toEqual([]);
      expect(server.logs.some((l) => l.msg === 'kafka reachable again: sending held records')).toBe(true);
      expect((await client.monitor({})).logsDropped).toBe(0);
    } finally {
      channel.close();
    }
    expect(await server.stop('SIGTERM')).toBe(0);
    const stats = finalStats(server);
    expect(stats.logs.dropped).toBe(0);
    expect(stats.logs.emitted).toBe(stats.logs.delivered + stats.logs.dropped + stats.logs.buffered);
    const records = unique(await readTopic(topic.logs, (rs) => unique(rs).length >= stats.logs.delivered));
    expect(records).toHaveLength(stats.logs.delivered);
  }, 240_000);
});
