import { type BackoffOptions, backoffDelay } from './backoff.js';
import { createRecordQueue, type QueuedRecord } from './record-queue.js';
import type { RecordSink, SinkRecord } from './record-sink.js';

/** Options of {@link createShipper}. */
export interface ShipperOptions {
  readonly topic: string;
  readonly sink: RecordSink;
  /** Most records held (queued and in flight); past it the oldest are dropped. */
  readonly maxRecords: number;
  /** Most payload bytes held; past it the oldest are dropped. */
  readonly maxBytes: number;
  /** Most records per send (default 500; at most half of `maxRecords`). */
  readonly batchRecords?: number;
  /** Most payload bytes per send (default 512 KiB; at most half of `maxBytes`); a larger record is dropped. */
  readonly batchBytes?: number;
  /** How long to let a small batch fill before sending it (default 200 ms: each send has a fixed cost). */
  readonly lingerMs?: number;
  /** Backoff between failed sends (default 100 ms doubling to 5 s). */
  readonly retry?: BackoffOptions;
  /** Bound on one send; past it the batch is retried (default 30 s). */
  readonly sendTimeoutMs?: number;
  /** The key of records appended without one, read at send time. */
  readonly defaultKey?: () => string;
  /** Told when sends start failing, when they succeed again, and when the backlog is gone; must not throw. */
  readonly onOutage?: (event: OutageEvent) => void;
}

/** A change in the sink's reachability, as the shipper saw it. */
export type OutageEvent =
  | { readonly kind: 'failing'; readonly topic: string; readonly error: unknown; readonly buffered: number }
  | {
      readonly kind: 'recovered';
      readonly topic: string;
      readonly failedAttempts: number;
      readonly outageMs: number;
      readonly buffered: number;
    }
  | {
      readonly kind: 'caught-up';
      readonly topic: string;
      /** From the first successful send after the outage until nothing was held. */
      readonly catchUpMs: number;
      /** Records delivered in that time. */
      readonly delivered: number;
    };

/**
 * Counters of one shipper. At every moment
 * `emitted === delivered + dropped + buffered`, exactly.
 */
export interface ShipperStats {
  /** Records appended; also the `seq` of the last one. */
  readonly emitted: number;
  /** Records the sink acknowledged (each counted once, however often it was sent). */
  readonly delivered: number;
  /** Records given up: the oldest when the buffer was full, and records larger than a batch. */
  readonly dropped: number;
  /** Records held: queued, or in a batch being sent or awaiting a retry. */
  readonly buffered: number;
  readonly bufferedBytes: number;
  /** Sends that failed (each retry counts). */
  readonly failedSends: number;
}

/**
 * A bounded, non-blocking pipe from `append` to a {@link RecordSink}:
 * `append` only queues; a background loop sends batches in order and
 * retries failures with capped backoff, for as long as it takes. Memory is
 * bounded by `maxRecords` and `maxBytes`: when full, the oldest records not
 * being sent at that moment are dropped and counted.
 *
 * Delivery is at least once: a send that failed or timed out may still have
 * been written, and is sent again. Every record carries a `seq` field (1, 2,
 * ... per shipper, restarting with the process) so consumers can drop
 * duplicates by (instance, seq); with a fixed `instance_id` across restarts,
 * by (instance, time, seq). Records still held when the process exits, or
 * dropped, are lost: the counters say how many.
 */
export interface Shipper {
  /**
   * Queues a record whose value is `json` (a JSON object text) with a `seq`
   * field added first; returns that `seq`. Never throws, never waits.
   */
  append(key: string | undefined, json: string): number;
  stats(): ShipperStats;
  /** Starts the background loop (records appended before are kept). Idempotent. */
  start(): void;
  /** Sends without lingering and retries sooner until empty; true when everything held was delivered or dropped. */
  flush(timeoutMs: number): Promise<boolean>;
  /** Stops the loop (a send in flight is abandoned after at most `timeoutMs`); does not close the sink. */
  close(timeoutMs?: number): Promise<void>;
}

const withSeq = (seq: number, json: string): string => {
  if (json.charCodeAt(0) !== 123) return `{"seq":${seq},"text":${JSON.stringify(json)}}`;
  const body = json.slice(1);
  return /^\s*\}/.test(body) ? `{"seq":${seq}}` : `{"seq":${seq},${body}`;
};

/** A {@link Shipper}; nothing runs until `start`. */
export function createShipper(options: ShipperOptions): Shipper {
  const batchRecords = Math.max(1, Math.min(options.batchRecords ?? 500, Math.floor(options.maxRecords / 2)));
  const batchBytesLimit = Math.max(
    1,
    Math.min(options.batchBytes ?? 512 * 1024, Math.floor(options.maxBytes / 2)),
  );
  const lingerMs = options.lingerMs ?? 200;
  const retry = options.retry ?? { initialMs: 100, maxMs: 5_000 };
  const sendTimeoutMs = options.sendTimeoutMs ?? 30_000;
  const defaultKey = options.defaultKey ?? (() => '');
  const queue = createRecordQueue();

  let emitted = 0;
  let delivered = 0;
  let dropped = 0;
  let failedSends = 0;
  /** The batch being sent, or awaiting a retry; older than everything queued. */
  let batch: QueuedRecord[] = [];
  let batchBytes = 0;
  /** While true the batch belongs to the sink and may not be dropped. */
  let sending = false;
  let idle = false;
  let flushing = 0;
  let closed = false;
  let loop: Promise<void> | undefined;
  let wakeup: (() => void) | undefined;
  const emptyWaiters = new Set<() => void>();

  const buffered = () => queue.size() + batch.length;
  const notifyIfEmpty = () => {
    if (buffered() > 0) return;
    for (const resolve of emptyWaiters) resolve();
    emptyWaiters.clear();
  };
  /** Waits `ms` (Infinity: until woken); `wakeup` ends the wait early. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => done(), ms) : undefined;
      timer?.unref();
      const done = () => {
        clearTimeout(timer);
        wakeup = undefined;
        resolve();
      };
      wakeup = done;
    });
  const dropOldest = (): boolean => {
    if (!sending && batch.length > 0) {
      const record = batch.shift() as QueuedRecord;
      batchBytes -= record.bytes;
    } else if (queue.size() > 0) {
      queue.shift();
    } else {
      return false;
    }
    dropped++;
    return true;
  };
  const toSink = (records: readonly QueuedRecord[]): SinkRecord[] => {
    const key = defaultKey();
    return records.map((r) => ({ topic: options.topic, key: r.key ?? key, value: r.value }));
  };
  const sendWithTimeout = async (records: SinkRecord[]) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`send timed out after ${sendTimeoutMs} ms`)), sendTimeoutMs);
    });
    try {
      await Promise.race([options.sink.send(records), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  const tell = (event: OutageEvent) => {
    try {
      options.onOutage?.(event);
    } catch {
      // a listener's failure is not the shipper's
    }
  };

  const run = async () => {
    let failures = 0;
    let outageStartedAt = 0;
    /** Set from recovery after an outage until the backlog is delivered. */
    let catchingUp: { since: number; delivered: number } | undefined;
    while (!closed) {
      if (batch.length === 0) {
        if (queue.size() === 0) {
          if (catchingUp) {
            const catchUpMs = Date.now() - catchingUp.since;
            tell({
              kind: 'caught-up',
              topic: options.topic,
              catchUpMs,
              delivered: delivered - catchingUp.delivered,
            });
            catchingUp = undefined;
          }
          notifyIfEmpty();
          idle = true;
          await pause(Number.POSITIVE_INFINITY);
          idle = false;
          continue;
        }
        if (lingerMs > 0 && flushing === 0 && queue.size() < batchRecords) {
          await pause(lingerMs);
          if (closed) break;
        }
        batch = queue.take(batchRecords, batchBytesLimit);
        batchBytes = batch.reduce((sum, r) => sum + r.bytes, 0);
        if (batch.length === 0) continue;
      }
      sending = true;
      const sentAt = Date.now();
      let error: unknown;
      let failed = false;
      try {
        await sendWithTimeout(toSink(batch));
      } catch (caught) {
        failed = true;
        error = caught;
      } finally {
        sending = false;
      }
      if (!failed) {
        const before = delivered;
        delivered += batch.length;
        batch = [];
        batchBytes = 0;
        if (failures > 0) {
          catchingUp = { since: sentAt, delivered: before };
          tell({
            kind: 'recovered',
            topic: options.topic,
            failedAttempts: failures,
            outageMs: Date.now() - outageStartedAt,
            buffered: buffered(),
          });
          failures = 0;
        }
        continue;
      }
      failedSends++;
      failures++;
      if (failures === 1) {
        outageStartedAt = Date.now();
        tell({ kind: 'failing', topic: options.topic, error, buffered: buffered() });
      }
      const delay = backoffDelay(failures, retry);
      await pause(flushing > 0 ? Math.min(delay, 200) : delay);
    }
  };

  return {
    append: (key, json) => {
      const seq = ++emitted;
      const value = withSeq(seq, json);
      const bytes = Buffer.byteLength(value) + (key === undefined ? 0 : Buffer.byteLength(key));
      if (bytes > batchBytesLimit) {
        dropped++;
        return seq;
      }
      queue.push({ key, value, bytes });
      while (buffered() > options.maxRecords || queue.bytes() + batchBytes > options.maxBytes) {
        if (!dropOldest()) break;
      }
      if (idle) wakeup?.();
      return seq;
    },
    stats: () => ({
      emitted,
      delivered,
      dropped,
      buffered: buffered(),
      bufferedBytes: queue.bytes() + batchBytes,
      failedSends,
    }),
    start: () => {
      if (loop || closed) return;
      loop = run().catch(() => {});
    },
    flush: async (timeoutMs) => {
      if (buffered() === 0) return true;
      flushing++;
      wakeup?.();
      let timer: NodeJS.Timeout | undefined;
      let waiter: (() => void) | undefined;
      try {
        return await new Promise<boolean>((resolve) => {
          waiter = () => resolve(true);
          emptyWaiters.add(waiter);
          timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
        });
      } finally {
        clearTimeout(timer);
        if (waiter) emptyWaiters.delete(waiter);
        flushing--;
      }
    },
    close: async (timeoutMs = 1_000) => {
      closed = true;
      wakeup?.();
      if (!loop) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        loop,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}
