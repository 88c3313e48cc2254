import pino, { type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import { jsonMillis } from './milliseconds.js';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  readonly level: LevelWithSilent;
  readonly service: string;
  readonly instanceId: string;
  /** Where JSON lines go; default: stdout, written asynchronously and in batches. */
  readonly destination?: DestinationStream;
  /** Where the batches go when no `destination` is given; default: stdout through sonic-boom. */
  readonly batchTarget?: BatchTarget;
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
  const batched =
    options.destination === undefined ? batchLines(options.batchTarget ?? stdoutWriter()) : undefined;
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
  // Call lines are encoded straight into the batch of bytes bound for stdout when stdout is the only
  // destination; otherwise (log shipping, or a destination given) into a buffer of their own, and each
  // destination is handed the line's text.
  const direct = extra.length === 0 ? batched : undefined;
  let scratch = Buffer.allocUnsafeSlow(1024);
  const bindings = `,"service":${JSON.stringify(options.service)},"instance":${JSON.stringify(options.instanceId)}`;
  // The line's bytes from the bindings to the duration's value, per method and status (a server has a
  // handful of each), and the peer's with the bytes around it, per peer (a connection's calls share one
  // peer string, rpc/peer-address.ts; calls over several connections interleave, so the last peer's alone
  // was made again for most lines).
  const heads = new Map<string, Map<string | number, Buffer>>();
  const peers = new Map<string, Buffer>();
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
      head = Buffer.from(
        `${bindings},"method":${JSON.stringify(fields.method)},"status":${status},"durationMs":`,
      );
      byStatus.set(fields.status, head);
    }
    let peerBytes = peers.get(fields.peer);
    if (peerBytes === undefined) {
      // Connections come and go: the peers kept are bounded by starting afresh now and then.
      if (peers.size >= MAX_PEERS_KEPT) peers.clear();
      peerBytes = Buffer.from(`,"peer":${JSON.stringify(fields.peer)},"requestId":`);
      peers.set(fields.peer, peerBytes);
    }
    const most =
      head.length + peerBytes.length + mostJsonStringBytes(fields.requestId) + CALL_LINE_FIXED_BYTES;
    if (direct !== undefined) {
      const at = direct.reserve(most);
      direct.commit(encodeCallLine(direct.buffer, at, head, fields.durationMs, peerBytes, fields.requestId));
      return;
    }
    if (scratch.length < most) scratch = Buffer.allocUnsafeSlow(most);
    const end = encodeCallLine(scratch, 0, head, fields.durationMs, peerBytes, fields.requestId);
    const line = scratch.toString('utf8', 0, end);
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

/** How many peers' bytes a logger keeps for its call lines. */
const MAX_PEERS_KEPT = 1024;

/** A number as pino writes it: `null` when not finite. */
const jsonNumber = (n: number) => (Number.isFinite(n) ? String(n) : 'null');

/** The call line's bytes before the time field, and after the request id. */
const CALL_LINE_START = Buffer.from('{"level":"info"');
const CALL_LINE_END = Buffer.from(',"msg":"call"}\n');
/**
 * The most bytes of a call line besides its head, peer and request id: its
 * start and end, the time field (`,"time":"`, up to 27 characters for years
 * past 9999, and `"`), and the duration (at most 25 characters as `String`
 * writes a number).
 */
const CALL_LINE_FIXED_BYTES = CALL_LINE_START.length + 37 + 25 + CALL_LINE_END.length;

/** The most bytes `JSON.stringify(text)` takes as UTF-8: 6 per UTF-16 unit (`\u001f`) and the quotes. */
const mostJsonStringBytes = (text: string) => 6 * text.length + 2;

/**
 * Writes a call line into `buf` at `at` (room for it made by the caller) and
 * returns where it ends: its start, the time, the head (the text from the
 * bindings up to the duration's value), the duration as `jsonMillis` writes
 * it, the peer's bytes, the request id as `JSON.stringify` writes it, and
 * the end.
 *
 * Why bytes: built as a string of seven pieces, a line was flattened when the
 * batch was joined and encoded again when written (in a CPU profile of Search
 * at 32 in flight with logs at info, the line's building, the join and the
 * encoding came to about 2 % of the server's busy time). Here nothing is
 * allocated per line: fixed pieces are copied, and the time's milliseconds,
 * the duration's digits and a plain request id are written byte by byte.
 */
function encodeCallLine(
  buf: Buffer,
  at: number,
  head: Buffer,
  durationMs: number,
  peerBytes: Buffer,
  requestId: string,
): number {
  buf.set(CALL_LINE_START, at);
  let o = writeTime(buf, at + CALL_LINE_START.length, Date.now());
  buf.set(head, o);
  o += head.length;
  o = writeMillis(buf, o, durationMs);
  buf.set(peerBytes, o);
  o += peerBytes.length;
  o = writeJsonString(buf, o, requestId);
  buf.set(CALL_LINE_END, o);
  return o + CALL_LINE_END.length;
}
/**
 * `buf.write` for `JSON.stringify(text)`: printable ASCII other than `"` and
 * `\\` byte by byte (a request id as the server makes it), anything else by
 * `JSON.stringify`.
 */
function writeJsonString(buf: Buffer, at: number, text: string): number {
  let o = at;
  buf[o++] = 0x22;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return at + buf.write(JSON.stringify(text), at);
    buf[o++] = c;
  }
  buf[o++] = 0x22;
  return o;
}

/** Writes a whole number from 0 to 10^9 in decimal; returns where it ends. */
function writeWhole(buf: Buffer, at: number, n: number): number {
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let o = at + digits;
  let rest = n;
  do {
    const next = Math.floor(rest / 10);
    buf[--o] = 0x30 + rest - next * 10;
    rest = next;
  } while (rest > 0);
  return at + digits;
}

/**
 * `buf.write` for `jsonMillis(ms)`: a duration with at most three decimals
 * below 10^9 ms (as calls' durations are logged) digit by digit.
 */
function writeMillis(buf: Buffer, at: number, ms: number): number {
  if (ms >= 0 && ms < 1e9) {
    const micros = Math.round(ms * 1000);
    if (micros / 1000 === ms) {
      const whole = Math.floor(micros / 1000);
      let o = writeWhole(buf, at, whole);
      const fraction = micros - whole * 1000;
      if (fraction > 0) {
        const tenths = Math.floor(fraction / 100);
        const hundredths = Math.floor(fraction / 10) - tenths * 10;
        const thousandths = fraction % 10;
        buf[o++] = 0x2e;
        buf[o++] = 0x30 + tenths;
        if (hundredths > 0 || thousandths > 0) buf[o++] = 0x30 + hundredths;
        if (thousandths > 0) buf[o++] = 0x30 + thousandths;
      }
      return o;
    }
  }
  return at + buf.write(jsonMillis(ms), at, 'latin1');
}

/** How long a line may wait before it is handed to the stdout writer. */
const LINE_BATCH_MS = 100;
/**
 * How many bytes of lines are handed over at once: each hand-over is a write
 * on libuv's thread pool (a thread woken, a syscall, a callback). Against 4
 * KiB, perf on a server at 32 in flight with logs at info (100k polygons, 2
 * runs each) put that path (the pool's worker with the write syscall, the
 * completion callback, the string handed to the write) at 0.55-0.62 % of the
 * server's samples instead of 2.6-2.9 %; the syscall's ext4 part alone
 * 0.24-0.26 % against 0.81-0.96 %.
 */
const LINE_BATCH_SIZE = 65536;

/** Where {@link batchLines} hands batches of lines over to: a writer of bytes, such as sonic-boom in buffer mode. */
export interface BatchTarget {
  write(chunk: Buffer): unknown;
  flush(callback?: (error?: Error) => void): void;
  flushSync(): void;
}

/** A destination stream that also flushes, writes out synchronously (on exit) and stops batching. */
export interface BatchedDestination extends DestinationStream {
  flush(callback?: (error?: Error) => void): void;
  flushSync(): void;
  /** Hands over what is pending and stops the timer; later lines go straight to the target. */
  close(): void;
  /** The bytes of lines pending; a line is written into it at the offset {@link reserve} answers. */
  readonly buffer: Buffer;
  /**
   * Makes room for a line of up to `bytes` bytes (handing over what is
   * pending when it would not fit) and answers the offset to write it at.
   */
  reserve(bytes: number): number;
  /** Ends the line written after {@link reserve}: the offset just after its last byte. */
  commit(end: number): void;
}

/** Batchers not closed yet, written out synchronously when the process exits. */
const openBatchers = new Set<BatchedDestination>();
let exitHookInstalled = false;

/**
 * Lines encoded as UTF-8 into a buffer and handed to `target` when the next
 * one would not fit in {@link LINE_BATCH_SIZE} bytes, or every
 * {@link LINE_BATCH_MS}, whichever comes first; on `flush`/`flushSync`/
 * `close` and on process exit at once. pino's lines come as strings
 * (`write`); the call line is written into the buffer directly (`reserve`,
 * `commit`).
 *
 * Why: sonic-boom (pino's asynchronous writer) appends each line to the
 * string it has pending and measures that string's byte length on every
 * write, which flattens and scans it: while a write is in flight, lines
 * queue up and each costs time in proportion to the queue (measured: 4.6 µs
 * a 300-byte line in a tight loop, against 1.0 µs batched as strings).
 */
export function batchLines(target: BatchTarget): BatchedDestination {
  let buffer = Buffer.allocUnsafeSlow(LINE_BATCH_SIZE);
  let used = 0;
  let closed = false;
  const handOver = () => {
    if (used === 0) return;
    // A buffer grown for one long line goes as it is; the usual one is kept and what it holds copied out.
    let chunk: Buffer;
    if (buffer.length > LINE_BATCH_SIZE) {
      chunk = buffer.subarray(0, used);
      buffer = Buffer.allocUnsafeSlow(LINE_BATCH_SIZE);
    } else {
      chunk = Buffer.copyBytesFrom(buffer, 0, used);
    }
    used = 0;
    target.write(chunk);
  };
  const reserve = (bytes: number) => {
    if (used + bytes > buffer.length) {
      handOver();
      if (bytes > buffer.length) buffer = Buffer.allocUnsafeSlow(bytes);
    }
    return used;
  };
  const commit = (end: number) => {
    used = end;
    if (closed) handOver();
  };
  const timer = setInterval(handOver, LINE_BATCH_MS);
  timer.unref();
  const batcher: BatchedDestination = {
    get buffer() {
      return buffer;
    },
    reserve,
    commit,
    write(line: string) {
      // UTF-8 takes at most 3 bytes per UTF-16 unit; a line that long is measured instead.
      const most = 3 * line.length;
      const at = reserve(most <= LINE_BATCH_SIZE ? most : Buffer.byteLength(line));
      commit(at + buffer.write(line, at));
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

/** Stdout through sonic-boom, asynchronous and taking bytes (batches from {@link batchLines}). */
function stdoutWriter(): BatchTarget {
  // In buffer mode sonic-boom's `write` takes Buffers; its type declarations only know strings.
  return pino.destination({ dest: 1, sync: false, contentMode: 'buffer' }) as unknown as BatchTarget;
}

/** `000Z"` to `999Z"`: the end of the time field, from its milliseconds (one piece of text rather than three). */
const MILLISECOND_ENDS = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z"`);

let isoSecond = Number.NaN;
let isoSecondPrefix = '';
let isoSecondBytes = Buffer.alloc(0);

/** The time field up to the second of `now` (ms since the epoch), made once a second; returns `now`'s millisecond. */
function timeUpToSecond(now: number): number {
  const second = Math.floor(now / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoSecondPrefix = `,"time":"${new Date(second * 1000).toISOString().slice(0, -4)}`;
    isoSecondBytes = Buffer.from(isoSecondPrefix);
  }
  return now - second * 1000;
}

/**
 * pino's `"time"` field in ISO 8601 (UTC, milliseconds), as
 * `pino.stdTimeFunctions.isoTime` writes it, with the date and time up to the
 * second formatted once a second: `Date#toISOString` per line showed in
 * profiles of Search at 32 in flight.
 */
export function isoTimestamp(): string {
  const ms = timeUpToSecond(Date.now());
  return `${isoSecondPrefix}${MILLISECOND_ENDS[ms]}`;
}

/** `buf.write` for `isoTimestamp()` at the time `now`. */
function writeTime(buf: Buffer, at: number, now: number): number {
  const ms = timeUpToSecond(now);
  buf.set(isoSecondBytes, at);
  let o = at + isoSecondBytes.length;
  const hundreds = Math.floor(ms / 100);
  const tens = Math.floor(ms / 10) - hundreds * 10;
  buf[o++] = 0x30 + hundreds;
  buf[o++] = 0x30 + tens;
  buf[o++] = 0x30 + (ms % 10);
  buf[o++] = 0x5a; // Z
  buf[o++] = 0x22; // "
  return o;
}
