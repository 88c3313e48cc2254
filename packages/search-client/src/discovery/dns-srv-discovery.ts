import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { TargetDiscovery } from '../discovery.js';
import { isHostPort } from '../discovery.js';
import { invalidArgument } from '../search-client-error.js';
import { type SrvTarget, srvOrder } from './srv-order.js';
import { createTargetList } from './target-list.js';

/** The part of node:dns's promise Resolver this source uses (tests pass a fake one). */
export interface SrvResolver {
  setServers(servers: readonly string[]): void;
  resolveSrv(name: string): Promise<{ name: string; port: number; priority: number; weight: number }[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
  cancel(): void;
}

/** Options of {@link createDnsSrvDiscovery}. */
export interface DnsSrvDiscoveryOptions {
  /** The SRV name, e.g. `search-service.service.consul`. */
  readonly name: string;
  /** The DNS server as `host:port` (Consul's DNS: `127.0.0.1:8600`); default the system's servers. */
  readonly server?: string;
  /** How often the answers are refreshed, in milliseconds (default 5000). */
  readonly refreshMs?: number;
  /** Bound on one refresh (SRV and address look-ups), in milliseconds (default 2000). */
  readonly timeoutMs?: number;
  /** Told about each failed refresh (the last known targets stay in use meanwhile). */
  readonly onError?: (error: Error) => void;
  /** The resolver to use; default a node:dns Resolver of its own. */
  readonly resolver?: SrvResolver;
}

/** Targets from DNS SRV records, refreshed periodically. */
export interface DnsSrvDiscovery extends TargetDiscovery {
  subscribe(onChange: () => void): () => void;
  /** Resolves with the targets once a refresh has succeeded (`signal` bounds the wait). */
  ready(signal?: AbortSignal): Promise<readonly string[]>;
  /** Stops refreshing. Idempotent. */
  close(): void;
}

const joinHostPort = (host: string, port: number) =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/**
 * A discovery source that reads the SRV records of `name` (for Consul:
 * `<service>.service.consul`, which lists passing instances only) from
 * `server`, resolves each record's target name to an address with the same
 * server, and honours priority and weight (see {@link srvOrder}). It
 * refreshes every `refreshMs`, each refresh bounded by `timeoutMs`, and
 * keeps the last known targets when a refresh fails. An empty answer
 * (NXDOMAIN or no records) is a valid answer: no targets.
 * Throws an `invalid_argument` SearchClientError when `server` is not host:port.
 */
export function createDnsSrvDiscovery(options: DnsSrvDiscoveryOptions): DnsSrvDiscovery {
  if (options.server !== undefined && !isHostPort(options.server)) {
    throw invalidArgument('server', `'${options.server}' is not host:port`);
  }
  if (options.name.trim() === '') throw invalidArgument('name', 'an SRV name is required');
  const refreshMs = options.refreshMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const resolver: SrvResolver =
    options.resolver ?? new Resolver({ timeout: Math.max(1, timeoutMs / 2), tries: 2 });
  if (options.server !== undefined) resolver.setServers([options.server]);
  const list = createTargetList();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const empty = (error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOTFOUND' || code === 'ENODATA';
  };
  const addresses = async (host: string): Promise<string[]> => {
    if (isIP(host)) return [host];
    const v4 = await resolver
      .resolve4(host)
      .catch((error: unknown) => (empty(error) ? [] : Promise.reject(error)));
    if (v4.length > 0) return v4;
    return resolver.resolve6(host).catch((error: unknown) => (empty(error) ? [] : Promise.reject(error)));
  };
  const lookUp = async (): Promise<string[]> => {
    const records = await resolver
      .resolveSrv(options.name)
      .catch((error: unknown) => (empty(error) ? [] : Promise.reject(error)));
    const answers: SrvTarget[] = [];
    for (const record of records) {
      const host = record.name.replace(/\.$/, '');
      for (const address of await addresses(host)) {
        answers.push({
          target: joinHostPort(address, record.port),
          priority: record.priority,
          weight: record.weight,
        });
      }
    }
    return srvOrder(answers);
  };

  const refresh = async () => {
    let deadline: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<never>((_, reject) => {
        deadline = setTimeout(() => {
          resolver.cancel();
          reject(
            new Error(
              `dns ${options.server ?? 'system'}: no answer for ${options.name} within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
      });
      const targets = await Promise.race([lookUp(), timedOut]);
      if (closed) return;
      list.set(targets);
    } catch (error) {
      if (!closed) options.onError?.(error instanceof Error ? error : new Error(String(error)));
    } finally {
      clearTimeout(deadline);
      if (!closed) {
        timer = setTimeout(() => void refresh(), refreshMs);
        timer.unref();
      }
    }
  };
  void refresh();

  return {
    targets: list.get,
    subscribe: list.subscribe,
    ready: list.ready,
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      resolver.cancel();
      list.close();
    },
  };
}
