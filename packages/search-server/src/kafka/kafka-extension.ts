import type { LevelWithSilent, Logger } from 'pino';
import type { ExtensionContext, ServerExtension } from '../extension.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { KafkaSettings } from './kafka-settings.js';
import { createKafkaSink } from './kafka-sink.js';
import { createLogStream } from './log-stream.js';
import type { RecordSink } from './record-sink.js';
import { createShipper, type OutageEvent, type Shipper, type ShipperStats } from './shipper.js';
import { thingEventJson } from './thing-events.js';

/** Options of {@link createKafkaExtension}. */
export interface KafkaExtensionOptions {
  readonly settings: KafkaSettings;
  /** The least level shipped; read for every line (the live key `kafka_log_level`). */
  readonly logLevel: () => LevelWithSilent;
  /** Where records go; default: a Kafka producer from `settings.sink`. */
  readonly sink?: RecordSink;
  /** How often counters go to StatsD (default 1 s). */
  readonly metricsIntervalMs?: number;
}

/** The counters of both pipes. */
export interface KafkaShippingStats {
  readonly logs: ShipperStats;
  readonly events: ShipperStats;
}

/** The Kafka extension, with its counters for tests and diagnostics. */
export interface KafkaExtension extends ServerExtension {
  stats(): KafkaShippingStats;
}

/**
 * Ships every log line to the logs topic (key: instance id) and publishes
 * `thing.upserted` / `thing.deleted` events to the events topic (key:
 * external id), each through its own bounded, drop-oldest buffer and a
 * background sender, so neither a request nor startup ever waits on Kafka.
 * While Kafka is down records are held (up to the limits) and retried with
 * capped backoff; on shutdown what is held is flushed within the budget.
 * StatsD: counters `logs.shipped`, `logs.dropped`, `events.shipped`,
 * `events.dropped`; gauges `logs.buffered`, `events.buffered`.
 */
export function createKafkaExtension(options: KafkaExtensionOptions): KafkaExtension {
  const { settings } = options;
  const sink = options.sink ?? createKafkaSink(settings.sink);
  let instanceId = '';
  let log: Logger | undefined;
  let metrics: (() => Metrics) | undefined;
  let reporter: NodeJS.Timeout | undefined;

  const onOutage = (event: OutageEvent) => {
    if (event.kind === 'failing') {
      log?.warn(
        { topic: event.topic, buffered: event.buffered, err: event.error },
        'kafka unreachable: holding records and retrying',
      );
    } else if (event.kind === 'recovered') {
      log?.info(
        {
          topic: event.topic,
          buffered: event.buffered,
          failedAttempts: event.failedAttempts,
          outageMs: event.outageMs,
        },
        'kafka reachable again: sending held records',
      );
    } else {
      log?.info(
        { topic: event.topic, catchUpMs: event.catchUpMs, delivered: event.delivered },
        'kafka caught up: every held record delivered',
      );
    }
  };
  const retry = { initialMs: 100, maxMs: settings.retryMaxMs };
  const logs: Shipper = createShipper({
    topic: settings.logsTopic,
    sink,
    ...settings.logsBuffer,
    lingerMs: settings.lingerMs,
    retry,
    defaultKey: () => instanceId,
    onOutage,
  });
  const events: Shipper = createShipper({
    topic: settings.eventsTopic,
    sink,
    ...settings.eventsBuffer,
    lingerMs: settings.lingerMs,
    retry,
    onOutage,
  });

  const reported = { logs: { delivered: 0, dropped: 0 }, events: { delivered: 0, dropped: 0 } };
  const report = () => {
    const m = metrics?.();
    if (!m) return;
    for (const [name, shipper] of [
      ['logs', logs],
      ['events', events],
    ] as const) {
      const stats = shipper.stats();
      const last = reported[name];
      if (stats.delivered > last.delivered) m.increment(`${name}.shipped`, stats.delivered - last.delivered);
      if (stats.dropped > last.dropped) m.increment(`${name}.dropped`, stats.dropped - last.dropped);
      m.gauge(`${name}.buffered`, stats.buffered);
      reported[name] = { delivered: stats.delivered, dropped: stats.dropped };
    }
  };
  const stats = (): KafkaShippingStats => ({ logs: logs.stats(), events: events.stats() });

  return {
    name: 'kafka',
    stats,
    logStream: () => createLogStream({ shipper: logs, minLevel: options.logLevel }),
    afterStart: (context: ExtensionContext) => {
      instanceId = context.instanceId;
      log = context.log;
      metrics = context.metrics;
      logs.start();
      events.start();
      reporter = setInterval(report, options.metricsIntervalMs ?? 1_000);
      reporter.unref();
      log.info(
        { brokers: settings.sink.brokers, logsTopic: settings.logsTopic, eventsTopic: settings.eventsTopic },
        'kafka shipping started',
      );
    },
    afterDrain: async (budgetMs) => {
      // Keep a fifth of the budget (at most 500 ms) for closing the connection.
      const flushMs = Math.round(Math.min(settings.flushTimeoutMs, budgetMs - Math.min(500, budgetMs / 5)));
      log?.info(
        { logsBuffered: logs.stats().buffered, eventsBuffered: events.stats().buffered, flushMs },
        'kafka flushing held records',
      );
      const [logsFlushed, eventsFlushed] = await Promise.all([logs.flush(flushMs), events.flush(flushMs)]);
      clearInterval(reporter);
      report();
      log?.info({ ...stats(), flushed: logsFlushed && eventsFlushed }, 'kafka shipping stopped');
      await Promise.all([logs.close(100), events.close(100)]);
      await Promise.race([sink.close(), new Promise((resolve) => setTimeout(resolve, 200).unref())]);
    },
    onUpserted: (things) => {
      const time = new Date();
      for (const thing of things) {
        events.append(thing.externalId, thingEventJson('thing.upserted', thing, instanceId, time));
      }
    },
    onDeleted: (thing) => {
      events.append(thing.externalId, thingEventJson('thing.deleted', thing, instanceId));
    },
    logsDropped: () => logs.stats().dropped,
  };
}
