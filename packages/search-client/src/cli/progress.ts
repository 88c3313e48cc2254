import type { OutputStream } from './cli-io.js';

/** How far an import has got, as the progress line shows it. */
export interface ProgressState {
  /** Features handed to the server so far. */
  readonly features: number;
  /** Bytes of the input read so far. */
  readonly bytesRead: number;
  /** The input's size, when known (a file; not standard input). */
  readonly totalBytes: number | undefined;
  /** Everything is sent; the server is committing the last batches. */
  readonly waiting?: boolean;
}

/** Options of {@link createProgressReporter}. */
export interface ProgressOptions {
  /** Least time between two plain (non-terminal) lines, in ms (default 1000). */
  readonly intervalMs?: number;
  /** The clock, in ms (tests pass a fake one). */
  readonly now?: () => number;
}

/** Shows import progress on a stream (stderr). */
export interface ProgressReporter {
  /** Shows `state` unless the last line is too recent (a `waiting` state always shows). */
  update(state: ProgressState): void;
  /** Shows the final state and ends the line. */
  finish(state: ProgressState): void;
}

const count = (n: number) => n.toLocaleString('en-US');
const megabytes = (n: number) => `${(n / 1_000_000).toFixed(1)} MB`;

/** One line describing `state`; `elapsedMs` gives the rate. */
export function describeProgress(state: ProgressState, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? Math.round((state.features * 1000) / elapsedMs) : 0;
  const read =
    state.totalBytes === undefined
      ? `${megabytes(state.bytesRead)} read`
      : `${megabytes(state.bytesRead)} of ${megabytes(state.totalBytes)} read (${percent(state)}%)`;
  const line = `${count(state.features)} features sent, ${read}, ${count(rate)} features/s`;
  return state.waiting ? `${line}; waiting for the server to commit` : line;
}

function percent(state: ProgressState): number {
  if (!state.totalBytes) return 100;
  return Math.min(100, Math.floor((state.bytesRead * 100) / state.totalBytes));
}

function bar(state: ProgressState, width = 24): string {
  if (state.totalBytes === undefined) return '';
  const filled = Math.round((percent(state) * width) / 100);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] `;
}

/**
 * A progress display: on a terminal, one line with a bar redrawn in place
 * (at most ten times a second); elsewhere (a log, a pipe), a plain line at
 * the first update and then at most once per interval, so logs stay short.
 */
export function createProgressReporter(
  stream: OutputStream,
  options: ProgressOptions = {},
): ProgressReporter {
  const now = options.now ?? (() => performance.now());
  const interval = stream.isTTY ? 100 : (options.intervalMs ?? 1000);
  const started = now();
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  const draw = (state: ProgressState) => {
    const text = `import: ${stream.isTTY ? bar(state) : ''}${describeProgress(state, now() - started)}`;
    if (stream.isTTY) {
      const columns = stream.columns || 120;
      stream.write(`\r\x1b[2K${text.slice(0, Math.max(20, columns - 1))}`);
    } else {
      stream.write(`${text}\n`);
    }
    drawn = true;
  };
  return {
    update(state) {
      const t = now();
      if (t - last < interval && !state.waiting) return;
      last = t;
      draw(state);
    },
    finish(state) {
      draw(state);
      if (stream.isTTY && drawn) stream.write('\n');
    },
  };
}
