import type { ParseArgsOptionsConfig } from 'node:util';
import type { ThingKey } from '../requests.js';
import { UsageError } from './usage-error.js';

/** Parsed option values, as `node:util` parseArgs returns them. */
export type OptionValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

const negativeNumber = /^-(\d|\.\d|Infinity$)/;

/**
 * Joins `--lat -33.9` into `--lat=-33.9`, which parseArgs otherwise refuses
 * as ambiguous: negative coordinates are common.
 */
export function joinNegativeNumbers(args: readonly string[], options: ParseArgsOptionsConfig): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const next = args[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (
      name !== undefined &&
      options[name]?.type === 'string' &&
      next !== undefined &&
      negativeNumber.test(next)
    ) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** A string option's value, or undefined. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  if (Array.isArray(value)) return value.findLast((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? value : undefined;
}

/** Every value of a repeatable string option. */
export function stringOptions(values: OptionValues, name: string): string[] {
  const value = values[name];
  const all = Array.isArray(value) ? value : [value];
  return all.filter((v): v is string => typeof v === 'string');
}

/** True when a boolean flag was given. */
export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** Options of {@link numberOption}. */
export interface NumberRule {
  readonly integer?: boolean;
  readonly min?: number;
}

/** A finite number option (or undefined when absent); a usage error naming the option otherwise. */
export function numberOption(values: OptionValues, name: string, rule: NumberRule = {}): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`--${name}`, `must be a number, got '${text}'`);
  if (rule.integer && !Number.isInteger(value)) {
    throw new UsageError(`--${name}`, `must be a whole number, got '${text}'`);
  }
  if (rule.min !== undefined && value < rule.min) {
    throw new UsageError(`--${name}`, `must be at least ${rule.min}, got '${text}'`);
  }
  return value;
}

/** A number option that must be given. */
export function requiredNumber(values: OptionValues, name: string, rule: NumberRule = {}): number {
  const value = numberOption(values, name, rule);
  if (value === undefined) throw new UsageError(`--${name}`, 'is required');
  return value;
}

/** The thing key from exactly one of `--id` and `--external-id`. */
export function thingKey(values: OptionValues): ThingKey {
  const id = numberOption(values, 'id', { integer: true, min: 1 });
  const externalId = stringOption(values, 'external-id');
  if (id !== undefined && externalId !== undefined) {
    throw new UsageError('--id', 'give either --id or --external-id, not both');
  }
  if (id !== undefined) return { id };
  if (externalId !== undefined) {
    if (externalId === '') throw new UsageError('--external-id', 'must not be empty');
    return { externalId };
  }
  throw new UsageError('--id', 'either --id or --external-id is required');
}
