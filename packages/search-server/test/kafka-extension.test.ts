import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/load-config.js';
import type { ExtensionContext } from '../src/extension.js';
import { createKafkaExtension } from '../src/kafka/kafka-extension.js';
import { kafkaSettingsFromConfig } from '../src/kafka/kafka-settings.js';
import { createLogStream, lineLevel } from '../src/kafka/log-stream.js';
import { createMemorySink } from '../src/kafka/memory-sink.js';
import { createNoopMetrics, type Metrics } from '../src/telemetry/metrics.js';

describe('kafka settings', () => {
  it('are off without brokers, and default topics and client id from the service name', () => {
    expect(kafkaSettingsFromConfig(loadConfig({}))).toBeUndefined();
    const settings = kafkaSettingsFromConfig(
      loadConfig({ env: { GEOSEARCH_KAFKA_BROKERS: 'a:9092, b:9093' } }),
    );
    expect(settings).toMatchObject({
      sink: { brokers: ['a:9092', 'b:9093'], clientId: 'search-service', tls: false },
      logsTopic: 'logs.search-service',
      eventsTopic: 'events.search-service',
      logsBuffer: { maxRecords: 50_000, maxBytes: 32 * 1024 * 1024 },
    });
    expect(settings?.sink.sasl).toBeUndefined();
  });

  it('take SASL and TLS, and refuse SASL without credentials', () => {
    const env = {
      GEOSEARCH_KAFKA_BROKERS: 'k:9093',
      GEOSEARCH_KAFKA_TLS: 'true',
      GEOSEARCH_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      GEOSEARCH_KAFKA_SASL_USERNAME: 'u',
      GEOSEARCH_KAFKA_SASL_PASSWORD: 'p',
    };
    expect(kafkaSettingsFromConfig(loadConfig({ env }))?.sink).toMatchObject({
      tls: true,
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' },
    });
    expect(() =>
      kafkaSettingsFromConfig(loadConfig({ env: { ...env, GEOSEARCH_KAFKA_SASL_PASSWORD: '' } })),
    ).toThrow(ConfigError);
  });

  it('reject a malformed broker list', () => {
    expect(() => loadConfig({ env: { GEOSEARCH_KAFKA_BROKERS: 'a:9092,nonsense' } })).toThrow(
      /kafka_brokers/,
    );
  });
});

describe('log stream', () => {
  it('reads the level of a pino line', () => {
    expect(lineLevel('{"level":"warn","msg":"x"}')).toBe(40);
    expect(lineLevel('{"level":30,"msg":"x"}')).toBe(30);
    expect(lineLevel('{"msg":"x"}')).toBeUndefined();
  });

  it('ships lines at or above the minimum level, which can change at run time', () => {
    const appended: string[] = [];
    let minLevel: pino.LevelWithSilent = 'info';
    const stream = createLogStream({
      shipper: {
        append: (_key, json) => {
          appended.push(json);
          return appended.length;
        },
      },
      minLevel: () => minLevel,
    });
    const log = pino({ level: 'trace', formatters: { level: (label) => ({ level: label }) } }, stream);
    log.debug('hidden');
    log.info('shown');
    minLevel = 'error';
    log.warn('hidden too');
    log.error('shown too');
    expect(appended.map((line) => JSON.parse(line).msg)).toEqual(['shown', 'shown too']);
    expect(appended.every((line) => !line.endsWith('\n'))).toBe(true);
  });
});

describe('kafka extension', () => {
  const settings = kafkaSettingsFromConfig(
    loadConfig({ env: { GEOSEARCH_KAFKA_BROKERS: 'unused:9092', GEOSEARCH_KAFKA_LINGER_MS: '0' } }),
  );
  if (!settings) throw new Error('settings expected');

  function context(log: pino.Logger, metrics: Metrics): ExtensionContext {
    return {
      config: loadConfig({}),
      instanceId: 'instance-a',
      port: 1,
      log,
      metrics: () => metrics,
      applyLive: () => [],
    };
  }

  it('ships logs keyed by instance, publishes data events keyed by external id, and flushes on drain', async () => {
    const sink = createMemorySink();
    const extension = createKafkaExtension({ settings, sink, logLevel: () => 'info' });
    const stream = extension.logStream?.();
    if (!stream) throw new Error('log stream expected');
    const log = pino({ formatters: { level: (label) => ({ level: label }) } }, stream);
    log.info({ requestId: 'r-1' }, 'before start');
    const counters = new Map<string, number>();
    const metrics: Metrics = {
      ...createNoopMetrics(),
      increment: (name, by = 1) => counters.set(name, (counters.get(name) ?? 0) + by),
    };
    await extension.afterStart?.(context(log, metrics));
    extension.onUpserted?.([
      { id: 1, externalId: 'ext-1', version: 1 },
      { id: 2, externalId: 'ext-2', version: 3 },
    ]);
    extension.onDeleted?.({ id: 1, externalId: 'ext-1', version: 1 });
    await extension.afterDrain?.(2_000);

    const logs = sink.records.filter((r) => r.topic === 'logs.search-service');
    expect(logs.every((r) => r.key === 'instance-a')).toBe(true);
    expect(logs.map((r) => JSON.parse(r.value))).toContainEqual(
      expect.objectContaining({ seq: 1, msg: 'before start', requestId: 'r-1' }),
    );
    const events = sink.records.filter((r) => r.topic === 'events.search-service');
    expect(events.map((r) => [r.key, JSON.parse(r.value)])).toEqual([
      [
        'ext-1',
        {
          seq: 1,
          type: 'thing.upserted',
          id: 1,
          externalId: 'ext-1',
          version: 1,
          time: expect.any(String),
          instance: 'instance-a',
        },
      ],
      ['ext-2', expect.objectContaining({ seq: 2, type: 'thing.upserted', id: 2, version: 3 })],
      ['ext-1', expect.objectContaining({ seq: 3, type: 'thing.deleted', id: 1 })],
    ]);
    const stats = extension.stats();
    expect(stats.events).toMatchObject({ emitted: 3, delivered: 3, dropped: 0, buffered: 0 });
    expect(counters.get('events.shipped')).toBe(3);
    expect(counters.get('logs.shipped')).toBe(stats.logs.delivered);
    expect(extension.logsDropped?.()).toBe(0);
  });

  it('waits at most kafka_flush_timeout_ms at shutdown, whatever the budget', async () => {
    const short = kafkaSettingsFromConfig(
      loadConfig({
        env: { GEOSEARCH_KAFKA_BROKERS: 'unused:9092', GEOSEARCH_KAFKA_FLUSH_TIMEOUT_MS: '200' },
      }),
    );
    if (!short) throw new Error('settings expected');
    const sink = createMemorySink();
    sink.setDown(true);
    const extension = createKafkaExtension({ settings: short, sink, logLevel: () => 'info' });
    const stream = extension.logStream?.();
    if (!stream) throw new Error('log stream expected');
    await extension.afterStart?.(context(pino({}, stream), createNoopMetrics()));
    const started = Date.now();
    await extension.afterDrain?.(10_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(extension.stats().logs.buffered).toBeGreaterThan(0);
  });

  it('starts and drains within its budget while the broker is down, counting what it holds', async () => {
    const sink = createMemorySink();
    sink.setDown(true);
    const extension = createKafkaExtension({ settings, sink, logLevel: () => 'info' });
    const stream = extension.logStream?.();
    if (!stream) throw new Error('log stream expected');
    const log = pino({}, stream);
    await extension.afterStart?.(context(log, createNoopMetrics()));
    for (let i = 0; i < 50; i++) log.info({ i }, 'held');
    const started = Date.now();
    await extension.afterDrain?.(500);
    expect(Date.now() - started).toBeLessThan(1_500);
    const { logs } = extension.stats();
    expect(logs.delivered).toBe(0);
    expect(logs.emitted).toBe(logs.delivered + logs.dropped + logs.buffered);
    expect(logs.buffered).toBeGreaterThanOrEqual(50);
  });
});
