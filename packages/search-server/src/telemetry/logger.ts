import pino, { type DestinationStream, type LevelWithSilent, type Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  readonly level: LevelWithSilent;
  readonly service: string;
  readonly instanceId: string;
  /** Where JSON lines go; default: stdout, written asynchronously. */
  readonly destination?: DestinationStream;
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
  const destination = options.destination ?? pino.destination({ dest: 1, sync: false });
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
