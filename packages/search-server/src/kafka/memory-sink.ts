import type { RecordSink, SinkRecord } from './record-sink.js';

/** A {@link RecordSink} that keeps records in memory, with a switch to simulate an outage. */
export interface MemorySink extends RecordSink {
  /** Every record acknowledged so far, in order (duplicates included). */
  readonly records: SinkRecord[];
  /** While down, every send rejects (after `delayMs`, if set). */
  setDown(down: boolean): void;
  /** Delays every send by `ms` (0: answer at once). */
  setDelay(ms: number): void;
  /** How many sends were attempted. */
  readonly attempts: () => number;
}

/** An in-memory {@link RecordSink} for tests: no broker, outages on demand. */
export function createMemorySink(): MemorySink {
  const records: SinkRecord[] = [];
  let down = false;
  let delayMs = 0;
  let attempts = 0;
  return {
    records,
    setDown: (value) => {
      down = value;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    attempts: () => attempts,
    send: async (batch) => {
      attempts++;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (down) throw new Error('memory sink is down');
      records.push(...batch);
    },
    close: async () => {},
  };
}
