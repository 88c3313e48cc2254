import { invalidArgument } from './search-client-error.js';

/**
 * Where the servers are. The client asks `targets()` when it starts and
 * after every `subscribe` notification, keeps one channel per target, and
 * calls `close()` when it closes. Sources such as Consul or DNS SRV
 * implement this interface; {@link createStaticDiscovery} is the fixed list.
 */
export interface TargetDiscovery {
  /** The current targets, each `host:port` (IPv6 as `[::1]:50051`). Called often: keep it cheap. */
  targets(): readonly string[];
  /** Calls `onChange` whenever the targets change; returns the function that stops it. */
  subscribe?(onChange: () => void): () => void;
  /** Releases what the source holds (watches, timers). */
  close?(): void | Promise<void>;
}

const hostPort = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]/]+):(\d{1,5})$/;

/** True when `target` is `host:port` with a port from 1 to 65535. */
export function isHostPort(target: string): boolean {
  const match = hostPort.exec(target);
  const port = Number(match?.[2]);
  return match !== null && port >= 1 && port <= 65_535;
}

/**
 * A discovery source with a fixed list of `host:port` targets. Throws an
 * `invalid_argument` SearchClientError naming `targets` when the list is
 * empty or an entry is not `host:port`.
 */
export function createStaticDiscovery(targets: readonly string[]): TargetDiscovery {
  const bad = targets.find((t) => !isHostPort(t));
  if (bad !== undefined) throw invalidArgument('targets', `'${bad}' is not host:port`);
  if (targets.length === 0) throw invalidArgument('targets', 'at least one host:port is required');
  const fixed = Object.freeze([...new Set(targets)]);
  return { targets: () => fixed };
}
