import * as z from 'zod';

const bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v)),
]);
const int = (min: number, max: number) => z.coerce.number().int('must be a whole number').min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'must be host:port');
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** One configuration key: its schema, default, and one line of help. */
interface Key<S extends z.ZodType> {
  readonly schema: S;
  readonly help: string;
  /** Applies without a restart when changed at run time (Consul KV). */
  readonly live?: boolean;
}

const key = <S extends z.ZodType>(schema: S, help: string, live = false): Key<S> => ({ schema, help, live });

/**
 * Every configuration key of the server. Names are snake_case; the matching
 * environment variable is `GEOSEARCH_` + the upper-cased name, and the flag is
 * `--name-with-dashes`. Keys marked live apply without a restart.
 */
export const configKeys = {
  listen: key(hostPort.default('0.0.0.0:50051'), 'gRPC listen address (host:port; port 0 picks a free one)'),
  database_url: key(
    z.string().default(''),
    'PostgreSQL URL (also read from DATABASE_URL); empty: embedded PGlite in data_dir',
  ),
  data_dir: key(z.string().default('.data/pglite'), 'PGlite data folder, used when database_url is empty'),
  database_pool_size: key(int(1, 200).default(10), 'PostgreSQL connections for writes and transactions'),
  statement_timeout_ms: key(
    int(0, 600_000).default(5_000),
    'longest a database statement may run (0: no limit)',
  ),
  point_index: key(
    bool.default(true),
    'answer point searches from an in-memory copy of the footprints, kept in step with the database',
  ),
  point_index_sync_ms: key(
    int(10, 60_000).default(200),
    'how often the point index catches up with writes made through other instances',
  ),
  point_index_max_mib: key(
    int(1, 1_048_576).default(1024),
    'most memory the point index may hold (MiB, its own estimate); with more data, point searches go to the database',
  ),
  sample_data: key(bool.default(true), 'load Natural Earth countries when the database is empty'),
  default_page_size: key(int(1, 10_000).default(50), 'Search page size when a request gives none', true),
  max_page_size: key(int(1, 10_000).default(1000), 'largest Search page size a request may ask for', true),
  max_nearby_limit: key(int(1, 10_000).default(1000), 'largest Nearby limit a request may ask for', true),
  max_message_bytes: key(
    int(1024, 64 * 1024 * 1024).default(4 * 1024 * 1024),
    'largest gRPC message accepted',
  ),
  tls_cert_file: key(z.string().default(''), 'PEM certificate chain for TLS; empty: plaintext'),
  tls_key_file: key(z.string().default(''), 'PEM private key for TLS (with tls_cert_file)'),
  tls_client_ca_file: key(
    z.string().default(''),
    'PEM CA bundle: when set, clients must present a certificate it signed (mTLS)',
  ),
  // Consul: registration, health check and live configuration from KV (see src/consul/). Off while
  // consul_addr is empty (CONSUL_HTTP_ADDR and CONSUL_HTTP_TOKEN are honoured when the keys are unset).
  consul_addr: key(
    z
      .string()
      .default('')
      .refine((v) => v === '' || /^(https?:\/\/)?[^/\s]+:\d{1,5}\/?$/.test(v), 'must be host:port or a URL'),
    'Consul agent HTTP address (host:port or http(s)://host:port); empty: CONSUL_HTTP_ADDR, else no Consul',
  ),
  consul_token: key(
    z.string().default(''),
    'Consul ACL token (sent as X-Consul-Token); empty: CONSUL_HTTP_TOKEN',
  ),
  consul_service_address: key(
    z.string().default(''),
    'address registered in Consul; empty: the listen host (127.0.0.1 when listening on 0.0.0.0 or ::)',
  ),
  consul_service_tags: key(z.string().default(''), 'tags registered in Consul, comma-separated'),
  consul_check_mode: key(
    z.enum(['grpc', 'ttl']).default('grpc'),
    'health check: grpc (the agent calls grpc.health.v1.Health) or ttl (the server reports itself)',
  ),
  consul_check_interval: key(
    z
      .string()
      .regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 500ms, 2s or 1m')
      .default('2s'),
    'how often the agent checks health (ttl mode: the server reports every half interval)',
  ),
  consul_check_timeout: key(
    z
      .string()
      .regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 500ms, 2s or 1m')
      .default('1s'),
    'bound on one gRPC health check by the agent (ttl mode: TTL = interval + timeout)',
  ),
  consul_deregister_after: key(
    z
      .string()
      .regex(/^\d+(ms|s|m|h)$/, 'must be a duration such as 500ms, 2s or 1m')
      .default('1m'),
    'the agent removes an instance whose check stays critical this long (Consul minimum 1m)',
  ),
  consul_timeout_ms: key(
    int(100, 60_000).default(3_000),
    'bound on one Consul HTTP call (blocking queries: their wait plus this)',
  ),
  consul_kv: key(bool.default(true), 'apply configuration from Consul KV under consul_kv_prefix, live'),
  consul_kv_prefix: key(
    z.string().default(''),
    'Consul KV folder of configuration keys; empty: config/<service_name>/',
  ),
  log_level: key(logLevel.default('info'), 'log level', true),
  statsd_host: key(hostPort.default('127.0.0.1:8125'), 'StatsD daemon (UDP host:port)'),
  statsd_prefix: key(z.string().default('geosearch.'), 'prefix of every metric name', true),
  statsd_sample_rate: key(num(0, 1).default(1), 'share of timers sent to StatsD (0 to 1)', true),
  statsd_max_datagram: key(
    int(512, 65_507).default(1400),
    'most bytes in one StatsD datagram (larger: fewer sends, for a daemon that reads them)',
  ),
  metrics: key(bool.default(true), 'send metrics to StatsD', true),
  instance_id: key(z.string().default(''), 'this instance id; empty: service name, host and a random suffix'),
  service_name: key(z.string().min(1).default('search-service'), 'service name in Consul, logs and metrics'),
  shutdown_timeout_ms: key(
    int(0, 120_000).default(10_000),
    'bound on graceful shutdown before in-flight calls are cut',
  ),
  // Kafka: log shipping and data events (see src/kafka/). Off while kafka_brokers is empty.
  kafka_brokers: key(
    z
      .string()
      .default('')
      .refine(
        (v) => v.trim() === '' || v.split(',').every((b) => hostPort.safeParse(b.trim()).success),
        'must be comma-separated host:port',
      ),
    'Kafka bootstrap brokers, comma-separated host:port; empty: no log shipping and no data events',
  ),
  kafka_client_id: key(z.string().default(''), 'Kafka client id; empty: the service name'),
  kafka_logs_topic: key(z.string().default(''), 'topic for log records; empty: logs.<service_name>'),
  kafka_events_topic: key(
    z.string().default(''),
    'topic for data events (thing.upserted, thing.deleted); empty: events.<service_name>',
  ),
  kafka_log_level: key(logLevel.default('info'), 'least level of the log records shipped to Kafka', true),
  kafka_logs_buffer_records: key(
    int(100, 10_000_000).default(50_000),
    'most log records held while Kafka is slow or down; past it the oldest are dropped and counted',
  ),
  kafka_logs_buffer_bytes: key(
    int(64 * 1024, 1024 * 1024 * 1024).default(32 * 1024 * 1024),
    'most log bytes held while Kafka is slow or down; past it the oldest are dropped and counted',
  ),
  kafka_events_buffer_records: key(
    int(100, 10_000_000).default(100_000),
    'most data events held while Kafka is slow or down; past it the oldest are dropped and counted',
  ),
  kafka_events_buffer_bytes: key(
    int(64 * 1024, 1024 * 1024 * 1024).default(32 * 1024 * 1024),
    'most data event bytes held while Kafka is slow or down; past it the oldest are dropped and counted',
  ),
  kafka_linger_ms: key(
    int(0, 10_000).default(200),
    'how long a small batch waits to fill before it is sent (each send costs ~1 ms of CPU)',
  ),
  kafka_retry_max_ms: key(
    int(100, 300_000).default(5_000),
    'longest wait between retries while Kafka is unreachable (backoff doubles from 100 ms)',
  ),
  kafka_timeout_ms: key(int(1_000, 120_000).default(10_000), 'bound on one Kafka produce request'),
  kafka_flush_timeout_ms: key(
    int(0, 120_000).default(5_000),
    'longest shutdown waits to deliver held records (also bounded by shutdown_timeout_ms)',
  ),
  kafka_tls: key(bool.default(false), 'connect to Kafka over TLS (system CAs)'),
  kafka_sasl_mechanism: key(
    z.enum(['', 'PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']).default(''),
    'Kafka SASL mechanism; empty: no SASL (set username and password with it)',
  ),
  kafka_sasl_username: key(z.string().default(''), 'Kafka SASL username'),
  kafka_sasl_password: key(z.string().default(''), 'Kafka SASL password (prefer the environment variable)'),
} as const;

/** The server configuration after parsing and defaults. */
export type Config = { -readonly [K in keyof typeof configKeys]: z.output<(typeof configKeys)[K]['schema']> };

/** The names of all configuration keys. */
export type ConfigKey = keyof typeof configKeys;

/** The zod schema of the whole configuration; unknown keys are errors. */
export const configSchema = z.strictObject(
  Object.fromEntries(Object.entries(configKeys).map(([name, k]) => [name, k.schema])) as {
    [K in ConfigKey]: (typeof configKeys)[K]['schema'];
  },
);
