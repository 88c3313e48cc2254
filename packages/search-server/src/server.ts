import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { SearchServiceDefinition } from '@geosearch/generated';
import { type CoreEvent, createSearchCore, migrateToLatest, type SearchCore } from '@geosearch/search-core';
import { HealthDefinition, HealthServiceImpl, HealthState } from 'nice-grpc-server-health';
import { type Config, configKeys } from './config/schema.js';
import { openDatabase, type ServerDatabase } from './database.js';
import type { ServerExtension } from './extension.js';
import { startPointIndexSync } from './point-index-sync.js';
import { watchReadiness } from './readiness.js';
import { createCallTelemetry } from './rpc/call-telemetry.js';
import { createErrorMapper } from './rpc/error-mapper.js';
import { createGrpcHost } from './rpc/grpc-host.js';
import { replaceHttp2StreamMaps } from './rpc/http2-stream-tables.js';
import { lazyReflection } from './rpc/lazy-reflection.js';
import { createSearchService } from './rpc/search-service.js';
import { loadSampleDataIfEmpty } from './sample-data.js';
import { createLogger, type ServerLogger } from './telemetry/logger.js';
import { createMetrics, createNoopMetrics, type Metrics } from './telemetry/metrics.js';
import { serverCredentials } from './tls.js';
import { serverVersion } from './version.js';

/** A running server. */
export interface RunningServer {
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  readonly instanceId: string;
  readonly core: SearchCore;
  readonly logger: ServerLogger;
  /** Graceful shutdown; resolves when everything is closed. Idempotent. */
  stop(): Promise<void>;
  /** Applies live configuration keys without a restart; returns the keys applied. */
  applyLive(changes: Partial<Config>): readonly string[];
}

function coreLimits(config: Config) {
  return {
    defaultPageSize: config.default_page_size,
    maxPageSize: config.max_page_size,
    maxNearbyLimit: config.max_nearby_limit,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts the server: database (migrated, sample data when empty), gRPC
 * services (SearchService, Health, reflection), metrics and logs. Health
 * turns SERVING once the database is ready and follows its reachability.
 */
export async function startSearchServer(
  config: Config,
  extensions: readonly ServerExtension[] = [],
): Promise<RunningServer> {
  const startedAt = Date.now();
  const instanceId =
    config.instance_id || `${config.service_name}-${hostname()}-${randomBytes(4).toString('hex')}`;
  const extraStreams = extensions.flatMap((e) => (e.logStream ? [e.logStream()] : []));
  const logger = createLogger({
    level: config.log_level,
    service: config.service_name,
    instanceId,
    extraStreams,
  });
  const log = logger.log;
  // StatsD metrics as configured now, or none: `metrics` applies live (see applyLive).
  const configuredMetrics = (): Metrics =>
    config.metrics
      ? createMetrics({
          target: config.statsd_host,
          prefix: config.statsd_prefix,
          sampleRate: config.statsd_sample_rate,
          maxDatagram: config.statsd_max_datagram,
          onError: (error) => log.debug({ err: error }, 'statsd send failed'),
        })
      : createNoopMetrics();
  let metrics = configuredMetrics();
  let metricsOn = config.metrics;

  let database: ServerDatabase | undefined;
  try {
    database = await openDatabase({
      databaseUrl: config.database_url,
      dataDir: config.data_dir,
      poolSize: config.database_pool_size,
      statementTimeoutMs: config.statement_timeout_ms,
    });
    const migration = await migrateToLatest(database.db);
    log.info(
      { applied: migration.applied, schemaVersion: migration.schemaVersion, backend: database.backend },
      'database ready',
    );
  } catch (error) {
    log.fatal({ err: error }, 'database could not be opened or migrated');
    await database?.close().catch(() => {});
    await logger.flush();
    await metrics.close();
    throw error;
  }
  const db = database;

  // Database queries get a timer each; a lookup answered from core's memory (the point index) is counted,
  // its microseconds being inside the call's own timer (a second timer per call was a tenth of the
  // metrics' cost per Search).
  const onEvent = (event: CoreEvent) => {
    if (event.inProcess) metrics.increment(event.name);
    else metrics.timing(`db.${event.name}`, event.durationMs);
    if (event.error !== undefined) metrics.increment(`db.${event.name}.errors`);
  };
  const core = await createSearchCore({
    db: db.db,
    limits: coreLimits(config),
    onEvent,
    queryCancellation: db.backend === 'postgres' ? 'cancel query' : 'ignore query',
    pointIndex: config.point_index && {
      maxBytes: config.point_index_max_mib * 2 ** 20,
      // A sync may be slow under load; past a few missed ones, searches go to the database.
      maxStalenessMs: Math.max(2000, 5 * config.point_index_sync_ms),
      // PGlite runs one statement at a time: counting first delayed its first Search by about 0.1 s.
      sizeAhead: db.backend === 'postgres',
    },
  });
  if (config.sample_data) {
    const loaded = await loadSampleDataIfEmpty(core);
    if (loaded)
      log.info(
        { created: loaded.created, rejected: loaded.rejected },
        'loaded sample data (Natural Earth countries)',
      );
  }
  // Loads in the background: until it is ready, point searches go to the database.
  const stopPointIndex = config.point_index
    ? startPointIndexSync({ core, intervalMs: config.point_index_sync_ms, log })
    : undefined;

  /** Runs a hook on every extension; a failing hook is logged, never fatal. */
  const each = (hook: string, run: (e: ServerExtension) => unknown) => {
    for (const extension of extensions) {
      try {
        run(extension);
      } catch (error) {
        log.warn({ err: error, extension: extension.name, hook }, 'extension hook failed');
      }
    }
  };
  const eachAsync = async (hook: string, run: (e: ServerExtension) => unknown) => {
    await Promise.all(
      extensions.map(async (extension) => {
        try {
          await run(extension);
        } catch (error) {
          log.warn({ err: error, extension: extension.name, hook }, 'extension hook failed');
        }
      }),
    );
  };
  const logsDropped = () => extensions.reduce((sum, e) => sum + (e.logsDropped?.() ?? 0), 0);

  const inFlight = { count: 0 };
  const health = HealthState();
  const server = createGrpcHost({
    channelOptions: {
      'grpc.max_receive_message_length': config.max_message_bytes,
      'grpc.max_send_message_length': config.max_message_bytes,
      'grpc.keepalive_permit_without_calls': 1,
      // Channelz statistics are kept per call (timestamps, counters, closures) but no channelz service is
      // served, so nobody could read them.
      'grpc.enable_channelz': 0,
    },
    onUnexpectedError: (error, path) =>
      log.error({ err: error, method: path }, 'unexpected error in a handler'),
  });
  server.add(
    SearchServiceDefinition,
    createSearchService({
      core,
      info: { serverVersion, instanceId, databaseBackend: db.backend, startedAt, logsDropped },
      onUpserted: (things) => each('onUpserted', (e) => e.onUpserted?.(things)),
      onDeleted: (thing) => each('onDeleted', (e) => e.onDeleted?.(thing)),
    }),
    {
      wrap: createCallTelemetry({
        log: () => log,
        logCall: logger.call,
        metrics: () => metrics,
        inFlight,
        toServerError: createErrorMapper(() => log),
      }),
    },
  );
  server.addImplementation(HealthDefinition, HealthServiceImpl(health));
  const reflection = lazyReflection([SearchServiceDefinition.fullName, 'grpc.health.v1.Health']);
  server.addImplementation(reflection.definition, reflection.implementation);

  const setServing = (serving: boolean) => {
    const status = serving ? 'healthy' : 'unhealthy';
    health.setStatus(status);
    health.setStatus(status, SearchServiceDefinition.fullName);
  };

  const streamMaps = replaceHttp2StreamMaps({
    onSkip: (reason) =>
      log.warn({ reason }, 'HTTP/2 stream map left as Node made it (more GC at many calls in flight)'),
  });
  let port: number;
  try {
    port = await server.listen(config.listen, serverCredentials(config));
  } catch (error) {
    streamMaps.stop();
    log.fatal({ err: error, listen: config.listen }, 'could not listen');
    await stopPointIndex?.();
    await db.close();
    await logger.flush();
    throw error;
  }
  setServing(true);
  let shuttingDown = false;
  const stopReadiness = watchReadiness({
    db: db.db,
    onChange: (ready) => {
      if (shuttingDown) return;
      log.warn({ ready }, ready ? 'database reachable again: SERVING' : 'database unreachable: NOT_SERVING');
      setServing(ready);
    },
  });
  const gauges = setInterval(() => {
    const stats = db.poolStats();
    if (stats) {
      metrics.gauge('db.pool.total', stats.total);
      metrics.gauge('db.pool.idle', stats.idle);
      metrics.gauge('db.pool.waiting', stats.waiting);
    }
    metrics.gauge('calls_in_flight', inFlight.count);
  }, 10_000);
  gauges.unref();

  let stopping: Promise<void> | undefined;
  const running: RunningServer = {
    port,
    instanceId,
    core,
    logger,
    applyLive: () => [],
    stop: () => {
      stopping ??= (async () => {
        const t0 = performance.now();
        shuttingDown = true;
        setServing(false);
        stopReadiness();
        clearInterval(gauges);
        log.info({ inFlight: inFlight.count }, 'shutting down: NOT_SERVING');
        // Let health watchers receive NOT_SERVING, then end their streams so the drain need not wait for them.
        setTimeout(() => server.endStreams(), 100).unref();
        await eachAsync('beforeDrain', (e) => e.beforeDrain?.());
        const budget = Math.max(0, config.shutdown_timeout_ms - (performance.now() - t0) - 500);
        if ((await withTimeout(server.shutdown(), budget)) === 'timeout') {
          log.warn({ inFlight: inFlight.count }, 'drain timed out: cutting remaining calls');
          server.forceShutdown();
        }
        streamMaps.stop();
        const left = Math.max(250, config.shutdown_timeout_ms - (performance.now() - t0) - 250);
        await eachAsync('afterDrain', (e) => withTimeout(Promise.resolve(e.afterDrain?.(left)), left));
        // A sync stuck on an unreachable database must not hold the shutdown up.
        if (stopPointIndex) await withTimeout(stopPointIndex(), 1_000);
        await db.close().catch((error: unknown) => log.warn({ err: error }, 'database close failed'));
        log.info(
          {
            durationMs: Math.round(performance.now() - t0),
            streamTables: { replaced: streamMaps.replaced, skipped: streamMaps.skipped },
          },
          'stopped',
        );
        await metrics.close();
        metrics = createNoopMetrics();
        metricsOn = false;
        await logger.close();
      })();
      return stopping;
    },
  };
  log.info(
    {
      listen: config.listen,
      port,
      version: serverVersion,
      backend: db.backend,
      // V8's heap limit, set by the bin's and the executable's flags (1 GiB old generation + young generation).
      heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
      // The Node and V8 options it runs with (the bin's shebang, the executable's execArgv, or the caller's).
      nodeOptions: process.execArgv,
      // glibc's malloc arenas (the bin sets 1) and its mmap threshold (the bin sets 8192 with PostgreSQL); absent when the
      // environment does not set them.
      mallocArenaMax: process.env.MALLOC_ARENA_MAX,
      mallocMmapThreshold: process.env.MALLOC_MMAP_THRESHOLD_,
    },
    'serving',
  );
  const applyLive = (changes: Partial<Config>): string[] => {
    const applied: string[] = [];
    for (const [name, value] of Object.entries(changes) as [keyof Config, never][]) {
      if (!configKeys[name].live) continue;
      (config as Record<string, unknown>)[name] = value;
      applied.push(name);
    }
    if (applied.includes('log_level')) logger.setLevel(config.log_level);
    // Turned on or off: calls from now on use the new one; the old one sends what it holds and closes.
    // Not once stopping has begun (the shutdown has closed metrics for good).
    if (applied.includes('metrics') && config.metrics !== metricsOn && stopping === undefined) {
      const previous = metrics;
      metrics = configuredMetrics();
      metricsOn = config.metrics;
      void previous.close();
    }
    if (applied.some((k) => k === 'statsd_prefix' || k === 'statsd_sample_rate')) {
      metrics.configure({ prefix: config.statsd_prefix, sampleRate: config.statsd_sample_rate });
    }
    core.setLimits(coreLimits(config));
    if (applied.length > 0) log.info({ applied }, 'configuration applied without restart');
    return applied;
  };
  running.applyLive = applyLive;
  await eachAsync('afterStart', (e) =>
    e.afterStart?.({ config, instanceId, port, log, metrics: () => metrics, applyLive }),
  );
  return running;
}
