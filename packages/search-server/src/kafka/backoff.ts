/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  /** Delay after the first failure. */
  readonly initialMs: number;
  /** The cap: no delay is longer. */
  readonly maxMs: number;
}

/**
 * The delay before retry number `attempt` (1 for the first retry): doubling
 * from `initialMs`, capped at `maxMs`, with "equal jitter" (between half and
 * all of it) so many instances do not retry in step. `random` is for tests.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
