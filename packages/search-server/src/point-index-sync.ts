import type { PointIndexState, SearchCore } from '@geosearch/search-core';
import type { Logger } from 'pino';

/** Options of {@link startPointIndexSync}. */
export interface PointIndexSyncOptions {
  readonly core: SearchCore;
  /** Pause between two syncs. */
  readonly intervalMs: number;
  readonly log: Logger;
}

/**
 * Loads the core's point index, then keeps it in step with writes made
 * through other instances by syncing every `intervalMs`; logs each change of
 * its state. Returns a function that stops syncing and waits for a running sync.
 */
export function startPointIndexSync(options: PointIndexSyncOptions): () => Promise<void> {
  const { core, intervalMs, log } = options;
  const started = performance.now();
  let last: PointIndexState = 'loading';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const tick = async () => {
    const status = await core.syncPointIndex();
    if (status && status.state !== last) {
      const fields = {
        state: status.state,
        things: status.things,
        vertices: status.vertices,
        mib: Math.round(status.bytes / 2 ** 20),
      };
      if (status.state === 'ready') {
        const durationMs = Math.round(performance.now() - started);
        log.info(
          last === 'loading' ? { ...fields, durationMs } : fields,
          'point index ready: point searches answered from memory',
        );
      } else {
        log.warn(
          { ...fields, reason: status.error },
          `point index ${status.state}: point searches go to the database`,
        );
      }
      last = status.state;
    }
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick();
    }, intervalMs);
    timer.unref();
  };
  running = tick();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
