import { SearchServiceDefinition } from '@geosearch/generated';
import { createSearchClient, isSearchClientError, type SearchClient } from '@geosearch/search-client';
import { type Channel, type Client, ClientError, createChannel, createClient, Status } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import { afterAll, beforeAll } from 'vitest';
import { type PrivatePostgres, startPrivatePostgres } from '../../../../test/support/private-postgres.js';
import { type ServerProcess, startServerProcess } from '../../../../test/support/server-process.js';
import { startToxiproxy, type ToxicProxy, type Toxiproxy } from '../../../../test/support/toxiproxy.js';

/** grpc.health.v1 ServingStatus numbers. */
export const SERVING = 1;
export const NOT_SERVING = 2;
/** The database the server of a fault stack uses, in its private cluster. */
export const DATABASE = 'faults';

/** A fault stack: search-server → toxiproxy → a private PostgreSQL cluster, with clients of the server. */
export interface FaultStack {
  readonly postgres: PrivatePostgres;
  readonly toxiproxy: Toxiproxy;
  /** The proxy between the server and PostgreSQL: add toxics here to hurt the database link. */
  readonly dbProxy: ToxicProxy;
  readonly server: ServerProcess;
  readonly search: Client<SearchServiceDefinition>;
  readonly health: Client<typeof HealthDefinition>;
  /** The SDK on the server, without retries: its per-call `deadlineMs` bounds every call. */
  readonly sdk: SearchClient;
  /** Closes the clients, SIGKILLs the server if still running, stops toxiproxy and PostgreSQL. */
  close(): Promise<void>;
}

/** Starts the real server binary on a private PostgreSQL reached through toxiproxy (no sample data). */
export async function startFaultStack(name: string): Promise<FaultStack> {
  const started = await Promise.allSettled([startPrivatePostgres(name), startToxiproxy(name)]);
  const [pg, proxy] = started;
  if (pg.status === 'rejected' || proxy.status === 'rejected') {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
    throw pg.status === 'rejected' ? pg.reason : (proxy as PromiseRejectedResult).reason;
  }
  const [postgres, toxiproxy] = [pg.value, proxy.value];
  const services = () => Promise.all([toxiproxy.close(), postgres.close()]);
  let dbProxy: ToxicProxy;
  let server: ServerProcess;
  try {
    const direct = new URL(await postgres.createdb(DATABASE));
    dbProxy = await toxiproxy.createProxy('postgres', direct.host);
    direct.port = String(dbProxy.port);
    server = await startServerProcess({
      env: { DATABASE_URL: direct.toString(), GEOSEARCH_SAMPLE_DATA: 'false' },
    });
  } catch (error) {
    await services();
    throw error;
  }
  const { channel, search, health } = connect(server.address);
  const sdk = createSearchClient({ targets: [server.address], retry: { maxAttempts: 1 } });
  return {
    postgres,
    toxiproxy,
    dbProxy,
    server,
    search,
    health,
    sdk,
    close: async () => {
      channel.close();
      await sdk.close();
      await server.stop('SIGKILL');
      await services();
    },
  };
}

/** Starts a fault stack before the file's tests and closes it after them; returns a getter for it. */
export function useFaultStack(name: string): () => FaultStack {
  let stack: FaultStack | undefined;
  beforeAll(async () => {
    stack = await startFaultStack(name);
  });
  afterAll(() => stack?.close());
  return () => {
    if (!stack) throw new Error('the fault stack did not start');
    return stack;
  };
}

/** Opens a channel to `address` with both clients; close the channel when done. */
export function connect(address: string): {
  channel: Channel;
  search: Client<SearchServiceDefinition>;
  health: Client<typeof HealthDefinition>;
} {
  const channel = createChannel(address);
  return {
    channel,
    search: createClient(SearchServiceDefinition, channel),
    health: createClient(HealthDefinition, channel),
  };
}

/** How one call ended: its status and when (performance.now() ms). */
export interface Outcome {
  readonly code: Status;
  readonly startedAt: number;
  readonly endedAt: number;
}

/** Runs a call (nice-grpc or SDK) and records its status; errors that carry no gRPC status count as UNKNOWN. */
export async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  const startedAt = performance.now();
  let code = Status.OK;
  try {
    await call();
  } catch (error) {
    if (error instanceof ClientError) code = error.code;
    else if (isSearchClientError(error)) code = error.grpcCode;
    else code = Status.UNKNOWN;
  }
  return { code, startedAt, endedAt: performance.now() };
}

/** GeoJSON Feature texts of small squares with external ids `${prefix}-${i}` for i in [from, from + count). */
export function squareFeatures(prefix: string, count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const lng = -170 + (i % 340);
    const lat = -80 + (Math.floor(i / 340) % 160);
    const ring = [
      [lng, lat],
      [lng + 0.5, lat],
      [lng + 0.5, lat + 0.5],
      [lng, lat + 0.5],
      [lng, lat],
    ];
    return JSON.stringify({
      type: 'Feature',
      id: `${prefix}-${i}`,
      properties: { name: `${prefix} ${i}` },
      geometry: { type: 'Polygon', coordinates: [ring] },
    });
  });
}

/** Imports `features` in one ImportThings stream of one message per `perMessage` features. */
export async function importFeatures(
  search: Client<SearchServiceDefinition>,
  features: readonly string[],
  perMessage = features.length,
) {
  async function* messages() {
    for (let at = 0; at < features.length; at += perMessage)
      yield { geojson: features.slice(at, at + perMessage), idProperty: '', nameProperty: '' };
  }
  return search.importThings(messages());
}

/** Polls `check` every `everyMs` until it returns true; the time it did, or throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  options: { everyMs?: number; timeoutMs?: number } = {},
): Promise<number> {
  const until = performance.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (await check()) return performance.now();
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(options.everyMs ?? 50);
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The `p`-quantile (0..1) of `values` by nearest rank; NaN when empty. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
}

/** Prints one `FAULT-RESULT {json}` line for the issue note (figures in ms, rounded). */
export function reportFault(fault: string, figures: Record<string, unknown>): void {
  const rounded = Object.fromEntries(
    Object.entries(figures).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v) : v]),
  );
  console.log(`FAULT-RESULT ${JSON.stringify({ fault, ...rounded })}`);
}
