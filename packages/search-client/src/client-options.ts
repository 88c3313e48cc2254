import type { BackoffOptions } from './backoff.js';
import type { TargetDiscovery } from './discovery.js';
import type { RetryBudgetOptions } from './retry-budget.js';
import type { GrpcTransportOptions, TlsOptions, Transport } from './transport.js';

/** Retries of idempotent calls (search, nearby, getThing, monitor), only on UNAVAILABLE. */
export interface RetryOptions extends BackoffOptions {
  /** Attempts per call, the first included (default 3; 1 turns retries off). */
  readonly maxAttempts?: number;
  /** Bounds retries across all calls of the client (default: 20% of calls plus 10). */
  readonly budget?: RetryBudgetOptions;
}

interface CommonOptions {
  /** Bound on each call, retries included, in milliseconds (default 5000); per-call `deadlineMs` overrides it. */
  readonly deadlineMs?: number;
  /** Bound on each `importThings` stream, in milliseconds (default 600000: imports run long). */
  readonly importDeadlineMs?: number;
  /** Retry settings. */
  readonly retry?: RetryOptions;
  /** How long a target that answered UNAVAILABLE is avoided, in milliseconds (default 5000). */
  readonly setAsideMs?: number;
  /** TLS settings; plaintext when omitted. */
  readonly tls?: TlsOptions;
  /** Extra grpc-js channel options. */
  readonly channelOptions?: GrpcTransportOptions['channelOptions'];
  /**
   * Opens connections; default gRPC with `tls` and `channelOptions`. Pass an
   * in-memory one in tests.
   */
  readonly transport?: Transport;
}

/** Options of `createSearchClient`: static `targets` or a `discovery` source, and the rest. */
export type SearchClientOptions = CommonOptions &
  (
    | {
        /** Servers as `host:port`, called in turn. */
        readonly targets: readonly string[];
        readonly discovery?: never;
      }
    | {
        /** Where the servers are; the client closes it on `close()`. */
        readonly discovery: TargetDiscovery;
        readonly targets?: never;
      }
  );
