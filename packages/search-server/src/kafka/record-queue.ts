/** A record waiting to be shipped. */
export interface QueuedRecord {
  /** Undefined: the shipper's default key at send time. */
  readonly key: string | undefined;
  readonly value: string;
  /** Payload size (key and value, UTF-8), counted against the byte limit. */
  readonly bytes: number;
}

/** A first-in, first-out queue of records that tracks their total size. */
export interface RecordQueue {
  readonly size: () => number;
  readonly bytes: () => number;
  push(record: QueuedRecord): void;
  /** Removes and returns the oldest record. */
  shift(): QueuedRecord | undefined;
  /** Removes and returns the oldest records, at most `maxRecords` and `maxBytes` (but at least one). */
  take(maxRecords: number, maxBytes: number): QueuedRecord[];
}

/** An empty {@link RecordQueue}; push and shift are O(1) amortised. */
export function createRecordQueue(): RecordQueue {
  let items: (QueuedRecord | undefined)[] = [];
  let head = 0;
  let bytes = 0;
  const compact = () => {
    if (head > 1024 && head * 2 > items.length) {
      items = items.slice(head);
      head = 0;
    }
  };
  const shift = (): QueuedRecord | undefined => {
    if (head >= items.length) return undefined;
    const record = items[head];
    items[head++] = undefined;
    if (record) bytes -= record.bytes;
    if (head === items.length) {
      items = [];
      head = 0;
    } else compact();
    return record;
  };
  return {
    size: () => items.length - head,
    bytes: () => bytes,
    push: (record) => {
      items.push(record);
      bytes += record.bytes;
    },
    shift,
    take: (maxRecords, maxBytes) => {
      const batch: QueuedRecord[] = [];
      let batchBytes = 0;
      while (head < items.length && batch.length < maxRecords) {
        const next = items[head] as QueuedRecord;
        if (batch.length > 0 && batchBytes + next.bytes > maxBytes) break;
        batchBytes += next.bytes;
        batch.push(shift() as QueuedRecord);
      }
      return batch;
    },
  };
}
