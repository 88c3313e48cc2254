import { z } from 'zod';

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
  log_level: key(logLevel.default('info'), 'log level', true),
  statsd_host: key(hostPort.default('127.0.0.1:8125'), 'StatsD daemon (UDP host:port)'),
  statsd_prefix: key(z.string().default('geosearch.'), 'prefix of every metric name', true),
  statsd_sample_rate: key(num(0, 1).default(1), 'share of timers sent to StatsD (0 to 1)', true),
  metrics: key(bool.default(true), 'send metrics to StatsD'),
  instance_id: key(z.string().default(''), 'this instance id; empty: service name, host and a random suffix'),
  service_name: key(z.string().min(1).default('search-service'), 'service name in Consul, logs and metrics'),
  shutdown_timeout_ms: key(
    int(0, 120_000).default(10_000),
    'bound on graceful shutdown before in-flight calls are cut',
  ),
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
