import type { SearchServiceClient } from '@geosearch/generated';
import { Status } from 'nice-grpc-common';
import type { TargetDiscovery } from './discovery.js';
import { SearchClientError } from './search-client-error.js';
import type { TargetConnection, Transport } from './transport.js';

/** Options of {@link createTargetPool}. */
export interface TargetPoolOptions {
  readonly discovery: TargetDiscovery;
  readonly transport: Transport;
  /** How long a target that answered UNAVAILABLE is avoided, in milliseconds. */
  readonly setAsideMs: number;
  /** The clock, in milliseconds (tests pass a fake one). */
  readonly now?: () => number;
}

/** The target chosen for one attempt and its client. */
export interface PickedTarget {
  readonly target: string;
  readonly client: SearchServiceClient;
}

/**
 * The targets of a client: round-robin, one connection per target (opened
 * on first use, closed when discovery drops the target), and targets that
 * answered UNAVAILABLE set aside for a while.
 */
export interface TargetPool {
  /**
   * The next target in turn, preferring targets neither set aside nor in
   * `tried`; when every target is set aside, still one of them (a call is
   * better than no call). Throws `unavailable` when there is no target.
   */
  pick(tried: ReadonlySet<string>): PickedTarget;
  /** Avoids `target` for the set-aside time. */
  setAside(target: string): void;
  /** Targets set aside now (for tests and diagnostics). */
  setAsideTargets(): readonly string[];
  /** Closes every connection and the discovery source. Idempotent. */
  close(): Promise<void>;
}

/** Creates a {@link TargetPool} over a discovery source. */
export function createTargetPool(options: TargetPoolOptions): TargetPool {
  const { discovery, transport, setAsideMs } = options;
  const now = options.now ?? Date.now;
  const connections = new Map<string, TargetConnection>();
  const asideUntil = new Map<string, number>();
  let cursor = 0;
  let closed = false;
  let known: readonly string[] = [];

  /** Closes connections (and forgets set-asides) of targets discovery no longer lists. */
  const prune = (targets: readonly string[]) => {
    known = targets;
    const current = new Set(targets);
    for (const [target, connection] of connections) {
      if (current.has(target)) continue;
      connections.delete(target);
      asideUntil.delete(target);
      connection.close();
    }
  };
  const targets = () => {
    const list = discovery.targets();
    if (list !== known) prune(list);
    return list;
  };
  const unsubscribe = discovery.subscribe?.(() => {
    if (!closed) prune(discovery.targets());
  });

  const connection = (target: string) => {
    let open = connections.get(target);
    if (open === undefined) {
      open = transport.connect(target);
      connections.set(target, open);
    }
    return open;
  };

  return {
    pick(tried) {
      if (closed)
        throw new SearchClientError('cancelled', 'the client is closed', { grpcCode: Status.CANCELLED });
      const list = targets();
      if (list.length === 0) {
        throw new SearchClientError('unavailable', 'no targets: discovery lists no server', {
          grpcCode: Status.UNAVAILABLE,
        });
      }
      const t = now();
      const start = cursor % list.length;
      cursor = (start + 1) % list.length;
      let best: string | undefined;
      let bestRank = Number.POSITIVE_INFINITY;
      for (let i = 0; i < list.length && bestRank > 0; i++) {
        const target = list[(start + i) % list.length] as string;
        const rank = ((asideUntil.get(target) ?? 0) > t ? 2 : 0) + (tried.has(target) ? 1 : 0);
        if (rank < bestRank) {
          best = target;
          bestRank = rank;
        }
      }
      const target = best as string;
      return { target, client: connection(target).client };
    },
    setAside(target) {
      asideUntil.set(target, now() + setAsideMs);
    },
    setAsideTargets() {
      const t = now();
      return [...asideUntil].filter(([, until]) => until > t).map(([target]) => target);
    },
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe?.();
      for (const open of connections.values()) open.close();
      connections.clear();
      await discovery.close?.();
    },
  };
}
