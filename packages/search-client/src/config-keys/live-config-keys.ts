import * as z from 'zod';

const int = (min: number, max: number) => z.coerce.number().int('must be a whole number').min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']);

/** One live configuration key as the CLI knows it: the schema of its KV text and one line of help. */
export interface LiveConfigKey {
  readonly schema: z.ZodType;
  readonly help: string;
}

/**
 * The server's live configuration keys (those applied from Consul KV without
 * a restart), with validators that accept exactly what the server accepts.
 * The client cannot import the server, so this is a copy; a test checks it
 * against the server's `configKeys` so the two cannot drift apart silently.
 */
export const liveConfigKeys = {
  log_level: { schema: logLevel, help: 'log level' },
  default_page_size: { schema: int(1, 10_000), help: 'Search page size when a request gives none' },
  max_page_size: { schema: int(1, 10_000), help: 'largest Search page size a request may ask for' },
  max_nearby_limit: { schema: int(1, 10_000), help: 'largest Nearby limit a request may ask for' },
  metrics: { schema: bool, help: 'send metrics to StatsD (true/false, 1/0, yes/no)' },
  statsd_prefix: { schema: z.string(), help: 'prefix of every metric name' },
  statsd_sample_rate: { schema: num(0, 1), help: 'share of timers sent to StatsD (0 to 1)' },
  kafka_log_level: { schema: logLevel, help: 'least level of the log records shipped to Kafka' },
} as const satisfies Record<string, LiveConfigKey>;

/** The name of a live configuration key. */
export type LiveConfigKeyName = keyof typeof liveConfigKeys;

/** True when `name` is a live configuration key the CLI knows. */
export function isLiveConfigKey(name: string): name is LiveConfigKeyName {
  return Object.hasOwn(liveConfigKeys, name);
}

/** Why `text` is not a valid value of the key (the server trims it first), or undefined when it is. */
export function configValueProblem(name: LiveConfigKeyName, text: string): string | undefined {
  const parsed = liveConfigKeys[name].schema.safeParse(text.trim());
  if (parsed.success) return undefined;
  return parsed.error.issues.map((issue) => issue.message).join('; ');
}
