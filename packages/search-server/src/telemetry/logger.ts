import pino, { type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import { jsonMillis } from './milliseconds.js';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  readonly level: LevelWithSilent;
  readonly service: string;
  readonly instanceId: string;
  /** Where JSON lines go; default: stdout, written asynchronously. */
  readonly destination?: DestinationStream;
  /** More destinations that receive every line too (log shipping). */
  readonly extraStreams?: readonly DestinationStream[];
}

/** The fields of the line logged for every call, in their order in the line. */
export interface CallLine {
  readonly method: string;
  readonly status: string | number;
  readonly durationMs: number;
  readonly peer: string;
  readonly requestId: string;
}

/** The server's structured logger and how to flush it. */
export interface ServerLogger {
  readonly log: Logger;
  /**
   * Logs a call at info: the line `log.info(fields, 'call')` writes, byte for
   * byte, built directly (pino's generic serialization was most of the cost
   * of logging every call).
   */
  call(fields: CallLine): void;
  /** Changes the level at run time. */
  setLevel(level: LevelWithSilent): void;
  /** Writes out anything buffered. */
  flush(): Promise<void>;
  /** Writes out anything buffered and stops the batching timer (lines logged later are written unbatched). */
  close(): Promise<void>;
}

/** A pino logger writing one JSON object per line, with service and instance on every record. */
export function createLogger(options: LoggerOptions): ServerLogger {
  const batched = options.destination === undefined ? bufferedStdout() : undefined;
  const stdout = options.destination ?? (batched as BatchedDestination);
  const extra = options.extraStreams ?? [];
  // Every stream at the lowest level: the logger's own level does the filtering, so it can change at run time.
  const destination =
    extra.length === 0
      ? stdout
      : pino.multistream([stdout, ...extra].map((stream) => ({ stream, level: 'trace' as const })));
  const log = pino(
    {
      level: options.level,
      base: { service: options.service, instance: options.instanceId },
      timestamp: isoTimestamp,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  // Every destination takes every line (see above), so a line built here goes to each of them as pino would send it.
  const destinations = [stdout, ...extra];
  const bindings = `,"service":${JSON.stringify(options.service)},"instance":${JSON.stringify(options.instanceId)}`;
  // The line's text from the bindings to the duration's value, per method and status (a server has a
  // handful of each), and the peer's with the text around it, kept from the last line (a connection's calls
  // share one peer string, rpc/peer-address.ts): the fewer and longer a line's pieces, the less it costs to
  // build, and to copy out when written (a call line built, batched and written to /dev/null: 0.65 µs in a
  // tight loop, against 0.73 with the status and peer quoted and the time in four pieces per line).
  const heads = new Map<string, Map<string | number, string>>();
  let peer = '';
  let peerText = `,"peer":${JSON.stringify(peer)},"requestId":`;
  const call = (fields: CallLine) => {
    if (!log.isLevelEnabled('info')) return;
    let byStatus = heads.get(fields.method);
    if (byStatus === undefined) {
      byStatus = new Map();
      heads.set(fields.method, byStatus);
    }
    let head = byStatus.get(fields.status);
    if (head === undefined) {
      const status =
        typeof fields.status === 'number' ? jsonNumber(fields.status) : JSON.stringify(fields.status);
      head = `${bindings},"method":${JSON.stringify(fields.method)},"status":${status},"durationMs":`;
      byStatus.set(fields.status, head);
    }
    if (fields.peer !== peer) {
      peer = fields.peer;
      peerText = `,"peer":${JSON.stringify(peer)},"requestId":`;
    }
    const line =
      `{"level":"info"${isoTimestamp()}${head}${jsonMillis(fields.durationMs)}` +
      `${peerText}${JSON.stringify(fields.requestId)},"msg":"call"}\n`;
    for (const destination of destinations) destination.write(line);
  };
  // pino's multistream (with extra streams) has no asynchronous flush: stdout is flushed directly.
  const flush = () =>
    new Promise<void>((resolve) => {
      if (batched) batched.flush(() => resolve());
      else log.flush(() => resolve());
    });
  return {
    log,
    call,
    setLevel: (level) => {
      log.level = level;
    },
    flush,
    close: async () => {
      batched?.close();
      await flush();
    },
  };
}

/** A number as pino writes it: `null` when not finite. */
const jsonNumber = (n: number) => (Number.isFinite(n) ? String(n) : 'null');

/** How long a line may wait before it is handed to the stdout writer. */
const LINE_BATCH_MS = 100;
/**
 * How many bytes of lines (counted as UTF-16 units) are handed over at once:
 * each hand-over is a write on libuv's thread pool (a thread woken, a
 * syscall, a callback). Against 4 KiB, perf on a server at 32 in flight with
 * logs at info (100k polygons, 2 runs each) put that path (the pool's worker
 * with the write syscall, the completion callback, the string handed to the
 * write) at 0.55-0.62 % of the server's samples instead of 2.6-2.9 %; the
 * syscall's ext4 part alone 0.24-0.26 % against 0.81-0.96 %.
 */
const LINE_BATCH_SIZE = 65536;

/** A destination stream that also flushes, writes out synchronously (on exit) and stops batching. */
export interface BatchedDestination extends DestinationStream {
  flush(callback?: (error?: Error) => void): void;
  flushSync(): void;
  /** Hands over what is pending and stops the timer; later lines go straight to the target. */
  close(): void;
}

/** Batchers not closed yet, written out synchronously when the process exits. */
const openBatchers = new Set<BatchedDestination>();
let exitHookInstalled = false;

/**
 * Lines collected in an array and handed to `target` as one string per
 * {@link LINE_BATCH_SIZE} or every {@link LINE_BATCH_MS}, whichever comes
 * first; on `flush`/`flushSync`/`close` and on process exit at once.
 *
 * Why: sonic-boom (pino's asynchronous writer) appends each line to the
 * string it has pending and measures that string's byte length on every
 * write, which flattens and scans it: while a write is in flight, lines
 * queue up and each costs time in proportion to the queue (measured: 4.6 µs
 * a 300-byte line in a tight loop, against 1.0 µs batched here).
 */
export function batchLines(
  target: DestinationStream & { flush(cb?: (error?: Error) => void): void; flushSync(): void },
): BatchedDestination {
  let lines: string[] = [];
  let size = 0;
  let closed = false;
  const handOver = () => {
    if (lines.length === 0) return;
    const chunk = lines.length === 1 ? (lines[0] as string) : lines.join('');
    lines = [];
    size = 0;
    target.write(chunk);
  };
  const timer = setInterval(handOver, LINE_BATCH_MS);
  timer.unref();
  const batcher: BatchedDestination = {
    write(line: string) {
      if (closed) {
        target.write(line);
        return;
      }
      lines.push(line);
      size += line.length;
      if (size >= LINE_BATCH_SIZE) handOver();
    },
    flush(callback) {
      handOver();
      target.flush(callback);
    },
    flushSync() {
      handOver();
      target.flushSync();
    },
    close() {
      closed = true;
      clearInterval(timer);
      handOver();
      openBatchers.delete(batcher);
    },
  };
  openBatchers.add(batcher);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const open of openBatchers) {
        try {
          open.flushSync();
        } catch {
          // A destroyed or broken stream: nothing more can be written.
        }
      }
    });
  }
  return batcher;
}

/** Stdout through sonic-boom, asynchronous, with lines batched by {@link batchLines}. */
function bufferedStdout(): BatchedDestination {
  return batchLines(pino.destination({ dest: 1, sync: false }));
}

/** `000Z"` to `999Z"`: the end of the time field, from its milliseconds (one piece of text rather than three). */
const MILLISECOND_ENDS = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z"`);

let isoSecond = Number.NaN;
let isoSecondPrefix = '';

/**
 * pino's `"time"` field in ISO 8601 (UTC, milliseconds), as
 * `pino.stdTimeFunctions.isoTime` writes it, with the date and time up to the
 * second formatted once a second: `Date#toISOString` per line showed in
 * profiles of Search at 32 in flight.
 */
export function isoTimestamp(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoSecondPrefix = `,"time":"${new Date(second * 1000).toISOString().slice(0, 20)}`;
  }
  return `${isoSecondPrefix}${MILLISECOND_ENDS[now - second * 1000]}`;
}
