import { randomUUID } from 'node:crypto';
import { Consumer, type SASLOptions, stringDeserializers } from '@platformatic/kafka';

/** A record read back from a topic: its key and its value parsed as JSON. */
export interface TopicRecord {
  readonly key: string;
  readonly value: Record<string, unknown>;
}

/** Options of {@link readTopic}. */
export interface ReadTopicOptions {
  readonly brokers: string;
  readonly topic: string;
  /** Stops reading once this holds for what was read. */
  readonly done: (records: readonly TopicRecord[]) => boolean;
  /** Stops reading after this long, `done` or not (the caller checks what it got). */
  readonly timeoutMs?: number;
  readonly sasl?: SASLOptions;
}

/** Reads `topic` from the beginning with a consumer group of its own, until `done` holds or time is up. */
export async function readTopic(options: ReadTopicOptions): Promise<TopicRecord[]> {
  const records: TopicRecord[] = [];
  const consumer = new Consumer({
    clientId: 'geosearch-test-reader',
    groupId: `geosearch-test-${randomUUID()}`,
    bootstrapBrokers: [options.brokers],
    deserializers: stringDeserializers,
    ...(options.sasl ? { sasl: options.sasl } : {}),
  });
  try {
    const stream = await consumer.consume({
      topics: [options.topic],
      mode: 'earliest',
      autocommit: false,
      maxWaitTime: 200,
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, options.timeoutMs ?? 60_000);
      stream.on('data', (message) => {
        records.push({ key: String(message.key), value: JSON.parse(String(message.value)) });
        if (options.done(records)) {
          clearTimeout(timer);
          resolve();
        }
      });
      stream.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } finally {
    await consumer.close(true);
  }
  return records;
}
