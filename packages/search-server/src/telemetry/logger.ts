import pino, { type DestinationStream, type LevelWithSilent, type Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  readonly level: LevelWithSilent;
  readonly service: string;
  readonly instanceId: string;
  /** Where JSON lines go; default: stdout, written asynchronously. */
  readonly destination?: DestinationStream;
  /** More destinations that receive every line too (log shipping). */
  readonly extraStreams?: readonly DestinationStream[];
}

/** The server's structured logger and how to flush it. */
export interface ServerLogger {
  readonly log: Logger;
  /** Changes the level at run time. */
  setLevel(level: LevelWithSilent): void;
  /** Writes out anything buffered. */
  flush(): Promise<void>;
}

/** A pino logger writing one JSON object per line, with service and instance on every record. */
export function createLogger(options: LoggerOptions): ServerLogger {
  const stdout = options.destination ?? pino.destination({ dest: 1, sync: false });
  const extra = options.extraStreams ?? [];
  // Every stream at the lowest level: the logger's own level does the filtering, so it can change at run time.
  const destination =
    extra.length === 0
      ? stdout
      : pino.multistream([stdout, ...extra].map((stream) => ({ stream, level: 'trace' as const })));
  const log = pino(
    {
      level: options.level,
      base: { service: options.service, instance: options.instanceId },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    log,
    setLevel: (level) => {
      log.level = level;
    },
    flush: () =>
      new Promise<void>((resolve) => {
        log.flush(() => resolve());
      }),
  };
}
