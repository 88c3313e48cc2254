import type { TargetDiscovery } from '../discovery.js';
import { invalidArgument } from '../search-client-error.js';
import { type BlockingQuery, startBlockingQuery } from './blocking-query.js';
import { createTargetList } from './target-list.js';

/** Options of {@link createConsulDiscovery}. */
export interface ConsulDiscoveryOptions {
  /** The Consul agent's HTTP API: `host:port` (plain HTTP) or `http(s)://host:port`. */
  readonly addr: string;
  /** The service name registered in Consul (e.g. `search-service`). */
  readonly service: string;
  /** ACL token, sent as `X-Consul-Token`. */
  readonly token?: string;
  /** Only instances with this tag. */
  readonly tag?: string;
  /** Datacenter; default the agent's. */
  readonly datacenter?: string;
  /** How long one blocking query waits for a change, in milliseconds (default 30000). */
  readonly waitMs?: number;
  /** Bound on one call on top of its wait, in milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** Least time between two queries, in milliseconds (default 500). */
  readonly minIntervalMs?: number;
  /** Largest wait between retries while Consul is unreachable, in milliseconds (default 10000). */
  readonly maxBackoffMs?: number;
  /** Told about each failed query (the last known targets stay in use meanwhile). */
  readonly onError?: (error: Error) => void;
  /** The fetch to use (tests pass a fake one); default the global fetch. */
  readonly fetch?: typeof fetch;
}

/** Targets from Consul, kept live. */
export interface ConsulDiscovery extends TargetDiscovery {
  subscribe(onChange: () => void): () => void;
  /**
   * Resolves with the targets once Consul has answered for the first time
   * (waits while it is unreachable; `signal` bounds the wait and rejects
   * with its reason).
   */
  ready(signal?: AbortSignal): Promise<readonly string[]>;
  /** Stops watching and aborts the query in flight. Idempotent. */
  close(): void;
}

/** One entry of `GET /v1/health/service/<name>`. */
interface HealthEntry {
  readonly Node?: { readonly Address?: string };
  readonly Service?: { readonly Address?: string; readonly Port?: number };
}

const joinHostPort = (host: string, port: number) =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/** `host:port` of every passing instance, sorted, without duplicates. */
export function healthTargets(entries: unknown): string[] {
  if (!Array.isArray(entries)) throw new Error('unexpected answer from Consul: not a list');
  const targets = new Set<string>();
  for (const entry of entries as HealthEntry[]) {
    const host = entry.Service?.Address || entry.Node?.Address;
    const port = entry.Service?.Port;
    if (host && typeof port === 'number' && port > 0) targets.add(joinHostPort(host, port));
  }
  return [...targets].sort();
}

/**
 * A discovery source that lists the instances of `service` whose health
 * checks pass, from `/v1/health/service/<service>?passing`, kept live with
 * Consul blocking queries (index rules as Consul documents them, queries at
 * least `minIntervalMs` apart, a deadline on each). When Consul cannot be
 * reached it keeps the last known targets and retries with capped backoff.
 * Throws an `invalid_argument` SearchClientError when `addr` or `service`
 * is malformed.
 */
export function createConsulDiscovery(options: ConsulDiscoveryOptions): ConsulDiscovery {
  if (!/^(https?:\/\/)?[^/\s]+:\d{1,5}\/?$/.test(options.addr)) {
    throw invalidArgument('addr', `'${options.addr}' is not host:port or http(s)://host:port`);
  }
  if (options.service.trim() === '') throw invalidArgument('service', 'a service name is required');
  const base = `${/^https?:\/\//.test(options.addr) ? options.addr : `http://${options.addr}`}`.replace(
    /\/+$/,
    '',
  );
  const waitMs = options.waitMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers['x-consul-token'] = options.token;
  const list = createTargetList();
  let closed = false;

  const query = async (index: bigint, signal: AbortSignal) => {
    const params = new URLSearchParams({ index: String(index), wait: `${Math.ceil(waitMs / 1000)}s` });
    if (options.tag !== undefined) params.set('tag', options.tag);
    if (options.datacenter !== undefined) params.set('dc', options.datacenter);
    const url = `${base}/v1/health/service/${encodeURIComponent(options.service)}?passing&${params}`;
    const deadlineMs = timeoutMs + waitMs + waitMs / 16;
    const deadline = AbortSignal.timeout(deadlineMs);
    let response: Response;
    try {
      response = await doFetch(url, { headers, signal: AbortSignal.any([deadline, signal]) });
    } catch (error) {
      if (deadline.aborted) throw new Error(`consul ${options.addr}: no answer within ${deadlineMs} ms`);
      throw new Error(`consul ${options.addr}: ${reason(error)}`, { cause: error });
    }
    const text = await response.text();
    if (response.status !== 200) {
      throw new Error(`consul ${options.addr}: status ${response.status}: ${text.trim().slice(0, 200)}`);
    }
    const header = response.headers.get('x-consul-index');
    return {
      index: header !== null && /^\d+$/.test(header) ? BigInt(header) : undefined,
      value: healthTargets(JSON.parse(text)),
    };
  };

  const loop: BlockingQuery = startBlockingQuery({
    query,
    onValue: (targets) => {
      list.set(targets);
    },
    onError: (error) => options.onError?.(error instanceof Error ? error : new Error(String(error))),
    ...(options.minIntervalMs === undefined ? {} : { minIntervalMs: options.minIntervalMs }),
    ...(options.maxBackoffMs === undefined ? {} : { maxBackoffMs: options.maxBackoffMs }),
  });

  return {
    targets: list.get,
    subscribe: list.subscribe,
    ready: list.ready,
    close() {
      if (closed) return;
      closed = true;
      loop.stop();
      list.close();
    },
  };
}

function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(reason).join(', ');
  if (error instanceof Error) return error.cause === undefined ? error.message : reason(error.cause);
  return String(error);
}
