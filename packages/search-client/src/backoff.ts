/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay, in milliseconds (default 50). */
  readonly initialBackoffMs?: number;
  /** Largest ceiling, in milliseconds (default 1000). */
  readonly maxBackoffMs?: number;
  /** Growth of the ceiling per retry (default 2). */
  readonly multiplier?: number;
}

/**
 * The delay before retry number `retry` (1 for the first retry):
 * exponential backoff with full jitter, a uniformly random delay from 0 to
 * `min(maxBackoffMs, initialBackoffMs × multiplier^(retry-1))`, so clients
 * that failed together do not retry together.
 */
export function backoffDelay(retry: number, options: BackoffOptions = {}, random = Math.random): number {
  const initial = options.initialBackoffMs ?? 50;
  const max = options.maxBackoffMs ?? 1000;
  const multiplier = options.multiplier ?? 2;
  const ceiling = Math.min(max, initial * multiplier ** Math.max(0, retry - 1));
  return random() * ceiling;
}
