import { randomUUID } from 'node:crypto';
import { Status } from 'nice-grpc-common';
import type { Logger } from 'pino';
import type { CallLine } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { ErrorMapper } from './error-mapper.js';
import type { HandlerWrapper } from './grpc-host.js';

const statusNames = Object.fromEntries(Object.entries(Status).map(([name, code]) => [code, name])) as Record<
  number,
  string
>;

/** `/geosearch.v1.SearchService/GetThing` → `get_thing`. */
export function metricName(path: string): string {
  const method = path.slice(path.lastIndexOf('/') + 1);
  return method.replace(/(?<=[a-z0-9])([A-Z])/g, '_$1').toLowerCase();
}

/** A method's metric names: its timer, its call counter and a counter per status code. */
interface MethodMetricNames {
  readonly timer: string;
  readonly count: string;
  /** The counter of calls answered OK (most calls). */
  readonly ok: string;
  /** The counters of the other status codes, each made when first used. */
  readonly byStatus: Map<number, string>;
}

/**
 * A method's metric names, made when its handler is wrapped; a status's name
 * when first used (a regular expression, and new strings hashed for the
 * counters' map, per call showed in profiles).
 */
function methodMetricNames(path: string): MethodMetricNames {
  const timer = metricName(path);
  return { timer, count: `${timer}_count`, ok: `${timer}.status.OK`, byStatus: new Map() };
}
function statusMetricName(names: MethodMetricNames, status: number): string {
  if (status === Status.OK) return names.ok;
  let name = names.byStatus.get(status);
  if (name === undefined) {
    name = `${names.timer}.status.${statusNames[status] ?? status}`;
    names.byStatus.set(status, name);
  }
  return name;
}

/** Options of {@link createCallTelemetry}. */
export interface TelemetryOptions {
  readonly log: () => Logger;
  /** Logs the line of a finished call at info (the server logger's `call`). */
  readonly logCall: (fields: CallLine) => void;
  readonly metrics: () => Metrics;
  /** Counts calls in flight, for graceful drain. */
  readonly inFlight: { count: number };
  /** What the caller receives for an error a handler threw (error-mapper.ts). */
  readonly toServerError: ErrorMapper;
}

/**
 * The wrapper of every SearchService method (grpc-host.ts). Per call: a
 * request id (the caller's `x-request-id`, or a new one; sent back as the
 * response header `x-request-id`), one log line at info (method, status,
 * duration, peer, request id), request details at debug, and StatsD metrics:
 * a timer `<rpc>` and a counter `<rpc>_count` (the original's `search` and
 * `search_count`), and a counter per status code `<rpc>.status.<CODE>`; and
 * every error a handler throws mapped to the ServerError the caller sees
 * (`toServerError`).
 */
export function createCallTelemetry(options: TelemetryOptions): HandlerWrapper {
  return (method, handler) => {
    const { path } = method;
    const names = methodMetricNames(path);
    return async (request, context) => {
      const started = performance.now();
      const requestId = context.firstMetadata('x-request-id') || randomUUID();
      context.requestId = requestId;
      const log = options.log();
      if (!method.requestStream && log.isLevelEnabled('debug')) {
        log.debug({ method: path, requestId, request }, 'request');
      }
      options.inFlight.count++;
      let status = Status.OK;
      try {
        context.setHeader('x-request-id', requestId);
        return await handler(request, context);
      } catch (error) {
        const mapped = options.toServerError(error, path, context);
        status = mapped.code;
        throw mapped;
      } finally {
        options.inFlight.count--;
        const durationMs = performance.now() - started;
        const metrics = options.metrics();
        metrics.timing(names.timer, durationMs);
        metrics.increment(names.count);
        metrics.increment(statusMetricName(names, status));
        // Built only when written: the peer's address is a string made per call.
        if (log.isLevelEnabled('info')) {
          options.logCall({
            method: path,
            status: statusNames[status] ?? status,
            durationMs: Math.round(durationMs * 1000) / 1000,
            peer: context.peer,
            requestId,
          });
        }
      }
    };
  };
}
