import type { PointIndexState, SearchCore } from '@geosearch/search-core';
import type { Logger } from 'pino';

/** Options of {@link startPointIndexSync}. */
export interface PointIndexSyncOptions {
  readonly core: SearchCore;
  /** Pause between two syncs. */
  readonly intervalMs: number;
  readonly log: Logger;
}

/** V8's full garbage collection: there when Node runs with `--expose-gc`, as the bin and the executable do. */
const fullGc = (globalThis as { gc?: (options?: object) => void }).gc;

/** What {@link compactHeap} did, for the log. */
interface Compaction {
  readonly gcMs: number;
  readonly rssBeforeMiB: number;
  readonly rssAfterMiB: number;
}

const rssMiB = () => Math.round(process.memoryUsage.rss() / 2 ** 20);

/**
 * Runs V8's last-resort full collection (the one that also gives the freed
 * pages back; a plain major `gc()` did not: 164 -> 164 MiB), when V8 lets us,
 * right after a full load of the index. The load's garbage (rows, WKB, ring
 * arrays) outlives enough young collections to be promoted, and V8 waits for
 * the old generation to grow before a full collection, so an idle server kept
 * it: measured on 100k polygons, RSS 160-176 MiB before this collection,
 * 128-133 MiB after, in about 40 ms (one pause, once per full load).
 */
function compactHeap(): Compaction | undefined {
  if (!fullGc) return undefined;
  const rssBeforeMiB = rssMiB();
  const start = performance.now();
  fullGc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return { gcMs: Math.round(performance.now() - start), rssBeforeMiB, rssAfterMiB: rssMiB() };
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
  let loads = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const tick = async () => {
    const status = await core.syncPointIndex();
    const reloaded = status !== undefined && status.loads > loads;
    const compaction = reloaded ? compactHeap() : undefined;
    if (status) loads = status.loads;
    if (status && (status.state !== last || reloaded)) {
      const fields = {
        state: status.state,
        things: status.things,
        vertices: status.vertices,
        mib: Math.round(status.bytes / 2 ** 20),
        ...compaction,
      };
      if (status.state === last) {
        log.info(fields, 'point index read again in full: point searches answered from memory');
      } else if (status.state === 'ready') {
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
