/** What one blocking query returned: the agent's `X-Consul-Index` and the value read. */
export interface BlockingResult<T> {
  readonly index: bigint | undefined;
  readonly value: T;
}

/** Options of {@link startBlockingQuery}. */
export interface BlockingQueryOptions<T> {
  /**
   * Runs one query that waits for changes after `index` (0: answer at once).
   * It must carry its own deadline; `signal` aborts it when the loop stops.
   */
  readonly query: (index: bigint, signal: AbortSignal) => Promise<BlockingResult<T>>;
  /** Receives the first value and every value after the index moved. */
  readonly onValue: (value: T) => void;
  /** Called when a query fails; `failures` counts the failures in a row. */
  readonly onError?: (error: unknown, failures: number) => void;
  /** Called on the first success after `failures` failures. */
  readonly onRecovered?: (failures: number) => void;
  /** Least time between the starts of two queries, in milliseconds (default 500). */
  readonly minIntervalMs?: number;
  /** Largest wait between retries after failures, in milliseconds (default 10000). */
  readonly maxBackoffMs?: number;
  /** Source of randomness for the retry jitter (tests pass a fixed one). */
  readonly random?: () => number;
}

/** A running blocking-query loop. */
export interface BlockingQuery {
  /** Stops the loop and aborts the query in flight. Idempotent. */
  stop(): void;
  /** Resolves once the loop has ended after `stop`. */
  readonly done: Promise<void>;
}

/**
 * The index to send next, by Consul's rules for blocking queries: an index
 * that went backwards (agent restarted, snapshot restored) resets the loop
 * to 0, and an index below 1 is treated as 1 so a query never stops blocking.
 */
export function nextIndex(previous: bigint, returned: bigint | undefined): bigint {
  if (returned === undefined || returned < 1n) return 1n;
  if (returned < previous) return 0n;
  return returned;
}

/**
 * Keeps a Consul blocking query running: each answer's index feeds the next
 * query (by {@link nextIndex}), values are passed on when the index moved,
 * the loop never starts queries closer than `minIntervalMs` apart, and after
 * a failure it retries with capped, jittered exponential backoff, from
 * index 0.
 */
export function startBlockingQuery<T>(options: BlockingQueryOptions<T>): BlockingQuery {
  const minIntervalMs = options.minIntervalMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  const random = options.random ?? Math.random;
  const controller = new AbortController();
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (controller.signal.aborted || ms <= 0) return resolve();
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  const run = async () => {
    let index = 0n;
    let first = true;
    let failures = 0;
    while (!controller.signal.aborted) {
      const startedAt = performance.now();
      try {
        const result = await options.query(index, controller.signal);
        if (controller.signal.aborted) return;
        const next = nextIndex(index, result.index);
        const moved = first || next !== index;
        index = next;
        first = false;
        if (failures > 0) {
          options.onRecovered?.(failures);
          failures = 0;
        }
        if (moved) options.onValue(result.value);
        await sleep(minIntervalMs - (performance.now() - startedAt));
      } catch (error) {
        if (controller.signal.aborted) return;
        // The agent may have restarted with a fresh, lower index: a query with the stale one would block for
        // its whole wait, so the first query after a failure asks for the current state.
        index = 0n;
        failures++;
        options.onError?.(error, failures);
        const ceiling = Math.min(maxBackoffMs, minIntervalMs * 2 ** Math.min(failures - 1, 20));
        await sleep(ceiling / 2 + (random() * ceiling) / 2);
      }
    }
  };

  const done = run();
  return {
    done,
    stop() {
      if (controller.signal.aborted) return;
      controller.abort(new Error('blocking query stopped'));
      clearTimeout(timer);
      wake?.();
    },
  };
}
