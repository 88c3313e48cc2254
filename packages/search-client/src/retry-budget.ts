/** Options of {@link createRetryBudget}. */
export interface RetryBudgetOptions {
  /** Retries allowed per call made, 0 to 1 (default 0.2: retries add at most 20% to the load). */
  readonly ratio?: number;
  /** Retries allowed beyond the ratio, so that a quiet client can still retry (default 10). */
  readonly reserve?: number;
}

/**
 * A token bucket that bounds retries so that an outage is not multiplied
 * into a retry storm: each call deposits `ratio` of a token (up to `reserve`
 * + a little), each retry takes one. Over any run of N calls there are at
 * most `reserve + ratio × N` retries.
 */
export interface RetryBudget {
  /** Records one call (not a retry). */
  recordCall(): void;
  /** Takes one token for a retry; false when the budget is spent. */
  tryRetry(): boolean;
  /** Tokens left, for tests and diagnostics. */
  balance(): number;
}

/** Creates a {@link RetryBudget}; it starts full. */
export function createRetryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  const ratio = options.ratio ?? 0.2;
  const reserve = options.reserve ?? 10;
  // A little headroom above the reserve, so a busy, healthy client keeps it full.
  const capacity = reserve + 1;
  let tokens = reserve;
  return {
    recordCall() {
      tokens = Math.min(capacity, tokens + ratio);
    },
    tryRetry() {
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    balance: () => tokens,
  };
}
