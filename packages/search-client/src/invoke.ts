import { setTimeout as delay } from 'node:timers/promises';
import type { SearchServiceClient } from '@geosearch/generated';
import { ClientError, type CallOptions as GrpcCallOptions, Metadata, Status } from 'nice-grpc-common';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import type { RetryBudget } from './retry-budget.js';
import { errorFromCall, SearchClientError } from './search-client-error.js';
import type { TargetPool } from './target-pool.js';

/** One logical call: what to run per attempt and how it may be retried. */
export interface Invocation<T> {
  /** The RPC name, for example `Search` (goes into errors). */
  readonly method: string;
  /** Retried on UNAVAILABLE (on another target when there is one) only when true. */
  readonly idempotent: boolean;
  /** Bound on the whole call, retries and backoff included. */
  readonly deadlineMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  /** Errors for which this is true are rethrown unchanged (for example the caller's own import source). */
  readonly isCallerError?: (error: unknown) => boolean;
  /** Runs one attempt on the picked target's client. */
  attempt(client: SearchServiceClient, options: GrpcCallOptions): Promise<T>;
}

/** Options of {@link createInvoker}. */
export interface InvokerOptions {
  readonly pool: TargetPool;
  readonly budget: RetryBudget;
  /** Attempts per idempotent call, first one included (1 = never retry). */
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  /** Randomness for the jitter (tests pass a fixed one). */
  readonly random?: () => number;
}

/** Runs invocations with a deadline, picking targets, retrying and mapping errors. */
export type Invoker = <T>(invocation: Invocation<T>) => Promise<T>;

/**
 * Creates the {@link Invoker} every SDK method goes through. An attempt that
 * fails with UNAVAILABLE sets its target aside; an idempotent call is then
 * retried after a jittered backoff, on another target when one is left, while
 * attempts and the retry budget allow. Every failure becomes a
 * SearchClientError (code `deadline_exceeded` when the deadline passes,
 * `cancelled` when the caller's signal aborts).
 */
export function createInvoker(options: InvokerOptions): Invoker {
  const { pool, budget, maxAttempts } = options;
  return async function invoke<T>(invocation: Invocation<T>): Promise<T> {
    const { method } = invocation;
    budget.recordCall();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), invocation.deadlineMs);
    const signal = invocation.signal
      ? AbortSignal.any([deadline.signal, invocation.signal])
      : deadline.signal;
    const aborted = (cause: unknown) =>
      deadline.signal.aborted
        ? new SearchClientError(
            'deadline_exceeded',
            `${method}: deadline of ${invocation.deadlineMs} ms exceeded`,
            {
              grpcCode: Status.DEADLINE_EXCEEDED,
              method,
              cause,
            },
          )
        : new SearchClientError('cancelled', `${method}: cancelled by the caller`, {
            grpcCode: Status.CANCELLED,
            method,
            cause,
          });
    const tried = new Set<string>();
    try {
      for (let attempt = 1; ; attempt++) {
        if (signal.aborted) throw aborted(signal.reason);
        const picked = pool.pick(tried);
        tried.add(picked.target);
        let trailer: Metadata | undefined;
        try {
          return await invocation.attempt(picked.client, {
            signal,
            metadata: Metadata(invocation.metadata ?? {}),
            onTrailer: (received) => {
              trailer = received;
            },
          });
        } catch (error) {
          if (invocation.isCallerError?.(error)) throw error;
          if (signal.aborted) throw aborted(error);
          if (!(error instanceof ClientError)) {
            const message = error instanceof Error ? error.message : String(error);
            throw new SearchClientError('unknown', `${method}: ${message}`, {
              grpcCode: Status.UNKNOWN,
              method,
              cause: error,
            });
          }
          const failure = errorFromCall({
            grpcCode: error.code,
            details: error.details,
            trailer,
            method,
            target: picked.target,
            cause: error,
          });
          if (error.code !== Status.UNAVAILABLE) throw failure;
          pool.setAside(picked.target);
          if (!invocation.idempotent || attempt >= maxAttempts || !budget.tryRetry()) throw failure;
          try {
            await delay(backoffDelay(attempt, options.backoff, options.random), undefined, { signal });
          } catch {
            throw aborted(failure);
          }
        }
      }
    } finally {
      clearTimeout(timer);
    }
  };
}
