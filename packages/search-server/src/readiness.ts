import type { Database } from '@geosearch/search-core';
import { type Kysely, sql } from 'kysely';

/** Options of {@link watchReadiness}. */
export interface ReadinessOptions {
  readonly db: Kysely<Database>;
  /** Called with the new state whenever it changes. */
  readonly onChange: (ready: boolean) => void;
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
}

/**
 * Probes the database with `SELECT 1` on an interval and reports when it
 * becomes reachable or unreachable. Returns a function that stops probing.
 */
export function watchReadiness(options: ReadinessOptions): () => void {
  const intervalMs = options.intervalMs ?? 1_000;
  const timeoutMs = options.timeoutMs ?? 1_000;
  let ready = true;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const probe = async () => {
    let ok: boolean;
    try {
      await sql`SELECT 1`.execute(options.db, { signal: AbortSignal.timeout(timeoutMs) });
      ok = true;
    } catch {
      ok = false;
    }
    if (stopped) return;
    if (ok !== ready) {
      ready = ok;
      options.onChange(ok);
    }
    timer = setTimeout(probe, intervalMs);
    timer.unref();
  };
  timer = setTimeout(probe, intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
