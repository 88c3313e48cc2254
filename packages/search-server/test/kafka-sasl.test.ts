import { randomUUID } from 'node:crypto';
import { SearchServiceDefinition } from '@geosearch/generated';
import { createChannel, createClient } from 'nice-grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateKafka, startPrivateKafka } from '../../../test/support/private-kafka.js';
import {
  databaseEnv,
  type ServerProcess,
  startServerProcess,
  stopAllServers,
} from '../../../test/support/server-process.js';
import { runCli } from '../../search-client/test/support/run-cli.js';
import { readTopic, type TopicRecord } from './read-topic.js';

// End-to-end: the real server binary ships its logs to this file's own Kafka 4.2 broker
// (scripts/services/kafka) whose client listener is SASL_PLAINTEXT with mechanism PLAIN;
// read back with a SASL consumer and with `geosearch logs tail --sasl-*`.

const username = 'geosearch';
const password = randomUUID();
const topic = `logs.sasl-${randomUUID().slice(0, 8)}`;
let kafka: PrivateKafka;

beforeAll(async () => {
  kafka = await startPrivateKafka('kafka-sasl', { sasl: { username, password } });
}, 300_000);
afterAll(async () => {
  await stopAllServers();
  await kafka?.close();
}, 120_000);

async function startShipping(saslPassword: string): Promise<ServerProcess> {
  return startServerProcess({
    env: {
      ...(await databaseEnv('pglite')),
      GEOSEARCH_KAFKA_BROKERS: kafka.brokers,
      GEOSEARCH_KAFKA_LOGS_TOPIC: topic,
      GEOSEARCH_KAFKA_LINGER_MS: '20',
      GEOSEARCH_KAFKA_RETRY_MAX_MS: '1000',
      GEOSEARCH_KAFKA_FLUSH_TIMEOUT_MS: '1000',
      GEOSEARCH_KAFKA_SASL_MECHANISM: 'PLAIN',
      GEOSEARCH_KAFKA_SASL_USERNAME: username,
      GEOSEARCH_KAFKA_SASL_PASSWORD: saslPassword,
    },
  });
}

async function search(server: ServerProcess): Promise<number> {
  const channel = createChannel(server.address);
  try {
    return (await createClient(SearchServiceDefinition, channel).search({ query: 'land', pageSize: 3 }))
      .results.length;
  } finally {
    channel.close();
  }
}

/** The `kafka shipping stopped` counters of the logs topic. */
const logsStats = (server: ServerProcess) =>
  (server.logs.find((l) => l.msg === 'kafka shipping stopped') as { logs: { delivered: number } } | undefined)
    ?.logs;

const tail = (args: readonly string[], env: Record<string, string> = {}) =>
  runCli(
    ['logs', 'tail', '--brokers', kafka.brokers, '--topic', topic, '--from-beginning', '--json', ...args],
    env,
  );
const saslArgs = ['--sasl-mechanism', 'PLAIN', '--sasl-username', username];

describe('Kafka with SASL/PLAIN', () => {
  let good: ServerProcess;

  it('with the right credentials the server ships its log lines, read back by a SASL consumer', async () => {
    good = await startShipping(password);
    expect(await search(good)).toBeGreaterThan(0);
    const instance = String(good.logs[0]?.instance);
    const shipped = (records: readonly TopicRecord[]) =>
      records.some((r) => r.value.instance === instance && r.value.msg === 'call');
    const records = await readTopic({
      brokers: kafka.brokers,
      topic,
      sasl: { mechanism: 'PLAIN', username, password },
      done: shipped,
      timeoutMs: 20_000,
    });
    expect(shipped(records)).toBe(true);
    expect(good.logs.some((l) => String(l.msg).startsWith('kafka unreachable'))).toBe(false);
  });

  it('geosearch logs tail reads the topic with --sasl-mechanism/--sasl-username and the password from the environment', async () => {
    const instance = String(good.logs[0]?.instance);
    const read = await tail(saslArgs, { GEOSEARCH_KAFKA_SASL_PASSWORD: password });
    expect(read.code).toBe(0);
    const lines = read.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.instance === instance && l.msg === 'serving')).toBe(true);

    const wrong = await tail(saslArgs, { GEOSEARCH_KAFKA_SASL_PASSWORD: 'not-the-password' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/SASL authentication failed \(mechanism PLAIN, user geosearch\)/);
    expect(wrong.stdout).not.toMatch(/"instance"/);

    const missing = await tail(saslArgs);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/GEOSEARCH_KAFKA_SASL_PASSWORD: must be set/);
  });

  it('with a wrong password the server keeps serving, reports Kafka unreachable, and delivers nothing', async () => {
    const bad = await startShipping('not-the-password');
    const instance = String(bad.logs[0]?.instance);
    expect(await search(bad)).toBeGreaterThan(0);
    const unreachable = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const deadline = Date.now() + 15_000;
      const poll = setInterval(() => {
        const line = bad.logs.find((l) => l.msg === 'kafka unreachable: holding records and retrying');
        if (line !== undefined || Date.now() > deadline) {
          clearInterval(poll);
          if (line === undefined) reject(new Error('no "kafka unreachable" line'));
          else resolve(line);
        }
      }, 100);
    });
    expect(unreachable).toMatchObject({ level: 'warn', topic });
    expect(JSON.stringify(unreachable.err)).toMatch(/SASL authentication failed/);
    expect(await search(bad)).toBeGreaterThan(0);
    expect(await bad.stop('SIGTERM')).toBe(0);
    expect(logsStats(bad)?.delivered).toBe(0);

    // The topic as the right user sees it: the good server's lines, none of the bad one's.
    const read = await tail(saslArgs, { GEOSEARCH_KAFKA_SASL_PASSWORD: password });
    const instances = new Set(
      read.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { instance: string }).instance),
    );
    expect(instances.has(String(good.logs[0]?.instance))).toBe(true);
    expect(instances.has(instance)).toBe(false);
    expect(await good.stop('SIGTERM')).toBe(0);
  });
});
