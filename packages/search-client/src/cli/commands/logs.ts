import {
  createDeduper,
  formatLogRecord,
  isLogLevelName,
  type LogFilter,
  logLevels,
  matchesFilter,
  parseDurationMs,
  parseLogRecord,
} from '../../logs/log-record.js';
import type { TailSasl, TailSaslMechanism, TailStart } from '../../logs/tail-log-topic.js';
import { flag, type OptionValues, stringOption } from '../arguments.js';
import type { Command } from '../command.js';
import { UsageError } from '../usage-error.js';

const hostPort = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/;

/** The brokers from `--brokers`, else `GEOSEARCH_KAFKA_BROKERS`. */
function brokersOf(values: OptionValues, env: Readonly<Record<string, string | undefined>>): string[] {
  const given = stringOption(values, 'brokers');
  const [field, raw] =
    given !== undefined ? ['--brokers', given] : ['GEOSEARCH_KAFKA_BROKERS', env.GEOSEARCH_KAFKA_BROKERS];
  const brokers = (raw ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers.length === 0) throw new UsageError('--brokers', 'is required (or set GEOSEARCH_KAFKA_BROKERS)');
  const bad = brokers.find((b) => !hostPort.test(b));
  if (bad !== undefined) throw new UsageError(field, `'${bad}' is not host:port`);
  return brokers;
}

const saslMechanisms: readonly TailSaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

/**
 * SASL credentials from `--sasl-mechanism` / `--sasl-username` (else
 * `GEOSEARCH_KAFKA_SASL_MECHANISM` / `_USERNAME`) and the password from
 * `GEOSEARCH_KAFKA_SASL_PASSWORD` only, so it never shows in `ps`; undefined without a mechanism.
 */
function saslOf(
  values: OptionValues,
  env: Readonly<Record<string, string | undefined>>,
): TailSasl | undefined {
  const mechanism = (stringOption(values, 'sasl-mechanism') ?? env.GEOSEARCH_KAFKA_SASL_MECHANISM ?? '')
    .trim()
    .toUpperCase();
  if (mechanism === '') {
    if (stringOption(values, 'sasl-username') !== undefined)
      throw new UsageError('--sasl-username', 'needs --sasl-mechanism');
    return undefined;
  }
  if (!saslMechanisms.includes(mechanism as TailSaslMechanism)) {
    throw new UsageError(
      '--sasl-mechanism',
      `must be one of ${saslMechanisms.join(', ')}, got '${mechanism}'`,
    );
  }
  const username = stringOption(values, 'sasl-username') ?? env.GEOSEARCH_KAFKA_SASL_USERNAME ?? '';
  if (username === '')
    throw new UsageError('--sasl-username', `is required with --sasl-mechanism ${mechanism}`);
  const password = env.GEOSEARCH_KAFKA_SASL_PASSWORD ?? '';
  if (password === '')
    throw new UsageError('GEOSEARCH_KAFKA_SASL_PASSWORD', `must be set with --sasl-mechanism ${mechanism}`);
  return { mechanism: mechanism as TailSaslMechanism, username, password };
}

function startOf(values: OptionValues, now: number): TailStart {
  const since = stringOption(values, 'since');
  if (since !== undefined && flag(values, 'from-beginning')) {
    throw new UsageError('--since', 'give either --since or --from-beginning, not both');
  }
  if (flag(values, 'from-beginning')) return { kind: 'beginning' };
  if (since === undefined) return { kind: 'end' };
  const ms = parseDurationMs(since);
  if (ms === undefined)
    throw new UsageError('--since', `must be a duration such as 30s, 10m or 2h, got '${since}'`);
  return { kind: 'since', timeMs: now - ms };
}

function filterOf(values: OptionValues): LogFilter {
  const level = stringOption(values, 'level');
  if (level !== undefined && !isLogLevelName(level)) {
    throw new UsageError('--level', `must be one of ${Object.keys(logLevels).join(', ')}, got '${level}'`);
  }
  const instance = stringOption(values, 'instance');
  return {
    ...(level === undefined ? {} : { minLevel: level }),
    ...(instance === undefined ? {} : { instance }),
  };
}

/** `geosearch logs tail`: the server logs shipped to Kafka. */
export const logsCommand: Command = {
  name: 'logs',
  summary: 'read the server logs shipped to Kafka (logs tail)',
  usage: 'geosearch logs tail [--from-beginning | --since 10m] [--follow]',
  options: {
    brokers: { type: 'string' },
    topic: { type: 'string' },
    'from-beginning': { type: 'boolean' },
    since: { type: 'string' },
    follow: { type: 'boolean', short: 'f' },
    level: { type: 'string' },
    instance: { type: 'string' },
    'sasl-mechanism': { type: 'string' },
    'sasl-username': { type: 'string' },
  },
  optionsHelp: `Options:
  --brokers HOST:PORT,...  Kafka brokers (default: $GEOSEARCH_KAFKA_BROKERS)
  --topic NAME             log topic (default logs.search-service)
  --from-beginning         start at the oldest record kept
  --since DURATION         start at records newer than this (30s, 10m, 2h, 1d)
                           (neither: only records written from now on)
  -f, --follow             keep printing new records until Ctrl-C; otherwise
                           stop at the end of the topic as it was at start
  --level LEVEL            least level shown (trace, debug, info, warn, error, fatal)
  --instance ID            only this server instance
  --sasl-mechanism NAME    authenticate with SASL: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
                           (default: $GEOSEARCH_KAFKA_SASL_MECHANISM, else none)
  --sasl-username NAME     SASL user (default: $GEOSEARCH_KAFKA_SASL_USERNAME); the
                           password is read from $GEOSEARCH_KAFKA_SASL_PASSWORD only
  --json                   print each record as its raw JSON line`,
  positionals: [1, 1],
  async run({ values, positionals, io, json }) {
    if (positionals[0] !== 'tail') throw new UsageError('ACTION', `expected tail, got '${positionals[0]}'`);
    const brokers = brokersOf(values, io.env);
    const start = startOf(values, Date.now());
    const filter = filterOf(values);
    const sasl = saslOf(values, io.env);
    const topic = stringOption(values, 'topic') ?? 'logs.search-service';
    const follow = flag(values, 'follow');
    const fresh = createDeduper();
    const controller = new AbortController();
    const stop = () => controller.abort();
    if (follow) {
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
    try {
      const { tailLogTopic } = await import('../../logs/tail-log-topic.js');
      await tailLogTopic({
        brokers,
        topic,
        start,
        follow,
        ...(sasl ? { sasl } : {}),
        signal: controller.signal,
        onLine: (line) => {
          const record = parseLogRecord(line);
          if (record === undefined) {
            if (filter.minLevel === undefined && filter.instance === undefined) io.stdout.write(`${line}\n`);
            return;
          }
          if (!matchesFilter(record, filter) || !fresh(record)) return;
          io.stdout.write(json ? `${line}\n` : `${formatLogRecord(record)}\n`);
        },
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
