import pino, { type DestinationStream, type LevelWithSilent } from 'pino';
import type { Shipper } from './shipper.js';

/** Options of {@link createLogStream}. */
export interface LogStreamOptions {
  readonly shipper: Pick<Shipper, 'append'>;
  /** The least level shipped; read for every line, so it can change at run time. */
  readonly minLevel: () => LevelWithSilent;
}

const levelValues: Readonly<Record<string, number>> = {
  ...pino.levels.values,
  silent: Number.POSITIVE_INFINITY,
};

/** The numeric level of a pino JSON line (`"level":"info"` or `"level":30`); undefined if it has none. */
export function lineLevel(line: string): number | undefined {
  const at = line.indexOf('"level":');
  if (at === -1) return undefined;
  const start = at + 8;
  if (line.charCodeAt(start) === 34) {
    const end = line.indexOf('"', start + 1);
    return end === -1 ? undefined : levelValues[line.slice(start + 1, end)];
  }
  const value = Number.parseInt(line.slice(start, start + 4), 10);
  return Number.isNaN(value) ? undefined : value;
}

/**
 * A pino destination that hands every JSON line at or above the minimum
 * level to a {@link Shipper} (key: the shipper's default, the instance id).
 * It only appends to the shipper's bounded buffer: it never waits on the
 * network and never throws into the logger.
 */
export function createLogStream(options: LogStreamOptions): DestinationStream {
  let levelName: LevelWithSilent | undefined;
  let minimum = 0;
  return {
    write(line: string) {
      try {
        const wanted = options.minLevel();
        if (wanted !== levelName) {
          levelName = wanted;
          minimum = levelValues[wanted] ?? 0;
        }
        const level = lineLevel(line);
        if (level !== undefined && level < minimum) return;
        options.shipper.append(undefined, line.endsWith('\n') ? line.slice(0, -1) : line);
      } catch {
        // shipping is best effort: never break the logger
      }
    },
  };
}
