/** A database query (or a lookup in core's own memory) finished or failed inside core. */
export interface QueryEvent {
  readonly kind: 'query';
  /** The operation, for example `search.point` or `import.batch`. */
  readonly name: string;
  /**
   * Answered from core's memory (the point index) without a database round
   * trip: microseconds, already inside the caller's own timing of the call.
   */
  readonly inProcess?: boolean;
  readonly durationMs: number;
  /** Rows returned or written; 0 on failure. */
  readonly rows: number;
  /** Set when the query failed. */
  readonly error?: unknown;
}

/** Telemetry leaving core: the caller turns it into metrics and log lines. */
export type CoreEvent = QueryEvent;

/** Receives {@link CoreEvent}s. Must not throw; it is called on the hot path. */
export type CoreEventListener = (event: CoreEvent) => void;

/**
 * Runs `work`, reporting a {@link QueryEvent} with its duration and row count.
 * `countRows` derives the row count from the result.
 */
export async function timed<T>(
  onEvent: CoreEventListener | undefined,
  name: string,
  work: () => Promise<T>,
  countRows: (result: T) => number,
): Promise<T> {
  if (!onEvent) return work();
  const start = performance.now();
  try {
    const result = await work();
    onEvent({ kind: 'query', name, durationMs: performance.now() - start, rows: countRows(result) });
    return result;
  } catch (error) {
    onEvent({ kind: 'query', name, durationMs: performance.now() - start, rows: 0, error });
    throw error;
  }
}
