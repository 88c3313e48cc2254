import { randomUUID } from 'node:crypto';
import { type CallContext, type ServerMiddlewareCall, Status } from 'nice-grpc';
import type { Logger } from 'pino';
import type { CallLine } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { ErrorMapper } from './error-mapper.js';

/** What the telemetry middleware adds to each call's context. */
export interface RequestContext {
  /** From the caller's `x-request-id` metadata, or generated. */
  readonly requestId: string;
}

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
  readonly byStatus: Map<number, string>;
}

/**
 * Metric names by method path, computed once per method and status (a
 * regular expression, and new strings hashed for the counters' map, per call
 * showed in profiles).
 */
const metricNames = new Map<string, MethodMetricNames>();
function cachedMetricNames(path: string): MethodMetricNames {
  let names = metricNames.get(path);
  if (names === undefined) {
    const timer = metricName(path);
    names = { timer, count: `${timer}_count`, byStatus: new Map() };
    metricNames.set(path, names);
  }
  return names;
}
function statusMetricName(names: MethodMetricNames, status: number): string {
  let name = names.byStatus.get(status);
  if (name === undefined) {
    name = `${names.timer}.status.${statusNames[status] ?? status}`;
    names.byStatus.set(status, name);
  }
  return name;
}

/** Options of {@link createTelemetryMiddleware}. */
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
 * The one middleware of SearchService calls. Per call: a request id, one log line at info (method, status, duration,
 * peer, request id), request details at debug, and StatsD metrics: a timer
 * `<rpc>` and a counter `<rpc>_count` (the original's `search` and
 * `search_count`), and a counter per status code `<rpc>.status.<CODE>`; and
 * every error a handler throws mapped to the ServerError the caller sees
 * (`toServerError`). One layer doing both: each nice-grpc middleware is an
 * async generator wrapped around the call, and a second layer cost
 * measurable CPU per call.
 */
export function createTelemetryMiddleware(options: TelemetryOptions) {
  return async function* telemetryMiddleware<Request, Response>(
    call: ServerMiddlewareCall<Request, Response, RequestContext>,
    context: CallContext,
  ) {
    const started = performance.now();
    const requestId = context.metadata.get('x-request-id') || randomUUID();
    const names = cachedMetricNames(call.method.path);
    const log = options.log();
    if (log.isLevelEnabled('debug') && !call.requestStream) {
      log.debug({ method: call.method.path, requestId, request: call.request }, 'request');
    }
    options.inFlight.count++;
    let status = Status.OK;
    try {
      context.header.set('x-request-id', requestId);
      return yield* call.next(call.request, { ...context, requestId });
    } catch (error) {
      const mapped = options.toServerError(error, call.method.path, context);
      status = mapped.code;
      throw mapped;
    } finally {
      options.inFlight.count--;
      const durationMs = performance.now() - started;
      const metrics = options.metrics();
      metrics.timing(names.timer, durationMs);
      metrics.increment(names.count);
      metrics.increment(statusMetricName(names, status));
      options.logCall({
        method: call.method.path,
        status: statusNames[status] ?? status,
        durationMs: Math.round(durationMs * 1000) / 1000,
        peer: context.peer,
        requestId,
      });
    }
  };
}
