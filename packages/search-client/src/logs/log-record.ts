/** The pino level names, least severe first, with their numbers. */
export const logLevels = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** A pino level name. */
export type LogLevelName = keyof typeof logLevels;

/** True when `name` is a pino level name. */
export function isLogLevelName(name: string): name is LogLevelName {
  return Object.hasOwn(logLevels, name);
}

/** One server log line as shipped to Kafka: pino JSON with the fields the CLI uses typed. */
export interface LogRecord {
  readonly level?: string | number;
  readonly time?: string | number;
  readonly instance?: string;
  readonly service?: string;
  readonly msg?: string;
  readonly requestId?: string;
  readonly method?: string;
  readonly status?: string;
  readonly durationMs?: number;
  readonly seq?: number;
  readonly [field: string]: unknown;
}

/** The record of a log line, or undefined when it is not a JSON object. */
export function parseLogRecord(line: string): LogRecord | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as LogRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The numeric level of a record (label or number); undefined when it has none. */
export function recordLevel(record: LogRecord): number | undefined {
  if (typeof record.level === 'number') return record.level;
  return typeof record.level === 'string' && isLogLevelName(record.level)
    ? logLevels[record.level]
    : undefined;
}

/** The filters of `logs tail`. */
export interface LogFilter {
  /** Least level shown; records without a level are always shown. */
  readonly minLevel?: LogLevelName;
  /** Only this instance. */
  readonly instance?: string;
}

/** True when the record passes the filter. */
export function matchesFilter(record: LogRecord, filter: LogFilter): boolean {
  if (filter.instance !== undefined && record.instance !== filter.instance) return false;
  if (filter.minLevel === undefined) return true;
  const level = recordLevel(record);
  return level === undefined || level >= logLevels[filter.minLevel];
}

const levelLabel = (record: LogRecord) => {
  if (typeof record.level === 'string') return record.level;
  const found = Object.entries(logLevels).find(([, n]) => n === record.level);
  return found?.[0] ?? String(record.level ?? '-');
};

/** One human line: time level instance msg, then method, status, duration and request id when present. */
export function formatLogRecord(record: LogRecord): string {
  const time =
    typeof record.time === 'number' ? new Date(record.time).toISOString() : String(record.time ?? '-');
  const parts = [time, levelLabel(record).toUpperCase().padEnd(5), record.instance ?? '-', record.msg ?? ''];
  if (record.method !== undefined) parts.push(String(record.method));
  if (record.status !== undefined) parts.push(String(record.status));
  if (typeof record.durationMs === 'number') parts.push(`${record.durationMs}ms`);
  if (record.requestId !== undefined) parts.push(`req=${record.requestId}`);
  return parts.join(' ');
}

/**
 * Remembers `(instance, seq)` pairs to drop records delivered twice (Kafka
 * delivery is at least once). Records without a seq are never dropped.
 */
export function createDeduper(): (record: LogRecord) => boolean {
  const seen = new Set<string>();
  return (record) => {
    if (typeof record.seq !== 'number') return true;
    const id = `${record.instance ?? ''}\u0000${record.seq}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  };
}

/** Milliseconds of a duration such as `90s`, `10m`, `2h` or `1d`; undefined when malformed. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms'];
  return Number(match[1]) * unit;
}
