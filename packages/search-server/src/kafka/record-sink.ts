/** One record to write to a topic. */
export interface SinkRecord {
  readonly topic: string;
  readonly key: string;
  /** The record value: a JSON object as text. */
  readonly value: string;
}

/**
 * Where shipped records go: the subset of a Kafka producer that log shipping
 * and data events need, so the client library can be swapped (and an
 * in-memory sink used in tests).
 */
export interface RecordSink {
  /**
   * Writes every record of the batch. Resolves only once the broker has
   * acknowledged all of them; rejects otherwise, in which case any subset of
   * the batch may have been written (the caller retries, so delivery is at
   * least once).
   */
  send(records: readonly SinkRecord[]): Promise<void>;
  /** Releases connections; pending sends may fail. Idempotent. */
  close(): Promise<void>;
}
