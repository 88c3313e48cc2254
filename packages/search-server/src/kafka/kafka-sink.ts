import type { Producer, SASLOptions } from '@platformatic/kafka';
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

type StringProducer = Producer<string, string, string, string>;

/**
 * A {@link RecordSink} on an `@platformatic/kafka` producer. Sends wait for
 * every in-sync replica (`acks=all`), so a resolved send means the records
 * are durable; the client retries briefly itself, and the caller retries
 * with backoff beyond that. The client library is loaded, and connections
 * made, only at the first send (it compiles WebAssembly when imported).
 */
export function createKafkaSink(options: KafkaSinkOptions): RecordSink {
  let producer: Promise<StringProducer> | undefined;
  let closed = false;
  const open = async (): Promise<StringProducer> => {
    const kafka = await import('@platformatic/kafka');
    const sasl: SASLOptions | undefined = options.sasl && {
      mechanism: options.sasl.mechanism,
      username: options.sasl.username,
      password: options.sasl.password,
    };
    return new kafka.Producer<string, string, string, string>({
      clientId: options.clientId,
      bootstrapBrokers: [...options.brokers],
      serializers: kafka.stringSerializers,
      acks: kafka.ProduceAcks.ALL,
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
  };
  return {
    send: async (records) => {
      if (closed) throw new Error('the Kafka sink is closed');
      if (!producer) {
        producer = open();
        producer.catch(() => {
          producer = undefined; // try loading again at the next send
        });
      }
      await (await producer).send({
        messages: records.map((r) => ({ topic: r.topic, key: r.key, value: r.value })),
      });
    },
    close: async () => {
      closed = true;
      const opened = producer;
      producer = undefined;
      if (opened) await (await opened.catch(() => undefined))?.close(true);
    },
  };
}
