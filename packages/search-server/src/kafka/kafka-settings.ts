import { ConfigError } from '../config/load-config.js';
import type { Config } from '../config/schema.js';
import type { KafkaSinkOptions } from './kafka-sink.js';

/** Limits of one bounded buffer. */
export interface BufferLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

/** Everything Kafka shipping needs, resolved from configuration. */
export interface KafkaSettings {
  readonly sink: KafkaSinkOptions;
  readonly logsTopic: string;
  readonly eventsTopic: string;
  readonly logsBuffer: BufferLimits;
  readonly eventsBuffer: BufferLimits;
  readonly lingerMs: number;
  readonly retryMaxMs: number;
  /** Longest wait at shutdown for held records to be delivered. */
  readonly flushTimeoutMs: number;
}

/**
 * The Kafka settings of `config`, or undefined when `kafka_brokers` is empty
 * (Kafka off). Empty topics default to `logs.<service_name>` and
 * `events.<service_name>`, an empty client id to the service name. Throws
 * {@link ConfigError} when SASL is asked for without credentials.
 */
export function kafkaSettingsFromConfig(config: Config): KafkaSettings | undefined {
  const brokers = config.kafka_brokers
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers.length === 0) return undefined;
  const mechanism = config.kafka_sasl_mechanism;
  if (mechanism !== '' && (config.kafka_sasl_username === '' || config.kafka_sasl_password === '')) {
    throw new ConfigError(
      `invalid configuration: kafka_sasl_mechanism ${mechanism} needs kafka_sasl_username and kafka_sasl_password`,
    );
  }
  return {
    sink: {
      brokers,
      clientId: config.kafka_client_id || config.service_name,
      requestTimeoutMs: config.kafka_timeout_ms,
      tls: config.kafka_tls,
      ...(mechanism === ''
        ? {}
        : {
            sasl: { mechanism, username: config.kafka_sasl_username, password: config.kafka_sasl_password },
          }),
    },
    logsTopic: config.kafka_logs_topic || `logs.${config.service_name}`,
    eventsTopic: config.kafka_events_topic || `events.${config.service_name}`,
    logsBuffer: { maxRecords: config.kafka_logs_buffer_records, maxBytes: config.kafka_logs_buffer_bytes },
    eventsBuffer: {
      maxRecords: config.kafka_events_buffer_records,
      maxBytes: config.kafka_events_buffer_bytes,
    },
    lingerMs: config.kafka_linger_ms,
    retryMaxMs: config.kafka_retry_max_ms,
    flushTimeoutMs: config.kafka_flush_timeout_ms,
  };
}
