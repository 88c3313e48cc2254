import { ProduceAcks, Producer, type SASLOptions, stringSerializers } from '@platformatic/kafka';
import type { RecordSink } from './record-sink.js';

/** SASL mechanisms the sink can authenticate with. */
export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** Options of {@link createKafkaSink}. */
export interface KafkaSinkOptions {
  /** Bootstrap brokers, `host:port` each. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Bound on one produce request (connecting, waiting for acknowledgement). */
  readonly requestTimeoutMs: number;
  /** Encrypt connections with TLS (system CAs). */
  readonly tls?: boolean;
  readonly sasl?: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: string };
}

/**
 * A {@link RecordSink} on an `@platformatic/kafka` producer. Sends wait for
 * every in-sync replica (`acks=all`), so a resolved send means the records
 * are durable; the client retries briefly itself, and the caller retries
 * with backoff beyond that. Nothing connects until the first send.
 */
export function createKafkaSink(options: KafkaSinkOptions): RecordSink {
  const sasl: SASLOptions | undefined = options.sasl && {
    mechanism: options.sasl.mechanism,
    username: options.sasl.username,
    password: options.sasl.password,
  };
  const producer = new Producer<string, string, string, string>({
    clientId: options.clientId,
    bootstrapBrokers: [...options.brokers],
    serializers: stringSerializers,
    acks: ProduceAcks.ALL,
    autocreateTopics: true,
    // Brief in-client retries (leader moves, stale metadata); outages are the caller's backoff.
    retries: 2,
    retryDelay: 250,
    timeout: options.requestTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    connectTimeout: Math.min(5_000, options.requestTimeoutMs),
    ...(options.tls ? { tls: {} } : {}),
    ...(sasl ? { sasl } : {}),
  });
  let closing: Promise<void> | undefined;
  return {
    send: async (records) => {
      await producer.send({
        messages: records.map((r) => ({ topic: r.topic, key: r.key, value: r.value })),
      });
    },
    close: () => {
      closing ??= producer.close(true);
      return closing;
    },
  };
}
