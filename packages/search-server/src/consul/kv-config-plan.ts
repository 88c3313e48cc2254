import { type Config, type ConfigKey, configKeys } from '../config/schema.js';

/** One KV value that did not parse; the key keeps its value. */
export interface RejectedValue {
  readonly key: ConfigKey;
  readonly value: string;
  readonly reason: string;
}

/** One valid KV value of a key that applies only at start. */
export interface RestartNeeded {
  readonly key: ConfigKey;
  /** The KV text, or undefined when the key was removed from KV. */
  readonly value: string | undefined;
}

/** What to do about one KV snapshot, compared with the one before it. */
export interface KvConfigPlan {
  /** Live keys to apply now (a removed key returns to its value from environment, flags or default). */
  readonly live: Partial<Config>;
  readonly rejected: readonly RejectedValue[];
  readonly restartNeeded: readonly RestartNeeded[];
  /** KV names that are no configuration key. */
  readonly unknown: readonly string[];
}

const isKey = (name: string): name is ConfigKey => Object.hasOwn(configKeys, name);

/**
 * Plans the configuration changes of a KV snapshot (`key name → text`)
 * against the previous snapshot: only keys whose text changed are
 * considered, so an unchanged bad value is reported once. Each text is
 * parsed by the key's own schema (surrounding whitespace ignored). Valid
 * values of live keys that differ from `current` go to `live`; invalid
 * values are rejected (the key keeps its value); a key removed from KV
 * returns to its value in `base` (environment, flags, default); valid
 * changes of keys that are not live only ask for a restart.
 */
export function planKvConfig(
  snapshot: ReadonlyMap<string, string>,
  previous: ReadonlyMap<string, string>,
  current: Readonly<Config>,
  base: Readonly<Config>,
): KvConfigPlan {
  const live: Record<string, unknown> = {};
  const rejected: RejectedValue[] = [];
  const restartNeeded: RestartNeeded[] = [];
  const unknown: string[] = [];
  for (const name of new Set([...snapshot.keys(), ...previous.keys()])) {
    const text = snapshot.get(name);
    if (text === previous.get(name)) continue;
    if (!isKey(name)) {
      if (text !== undefined) unknown.push(name);
      continue;
    }
    let value: unknown;
    if (text === undefined) {
      value = base[name];
    } else {
      const parsed = configKeys[name].schema.safeParse(text.trim());
      if (!parsed.success) {
        rejected.push({ key: name, value: text, reason: parsed.error.issues[0]?.message ?? 'invalid' });
        continue;
      }
      value = parsed.data;
    }
    if (Object.is(value, current[name])) continue;
    if (configKeys[name].live) live[name] = value;
    else restartNeeded.push({ key: name, value: text });
  }
  return { live: live as Partial<Config>, rejected, restartNeeded, unknown };
}
