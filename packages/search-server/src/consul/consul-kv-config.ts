import { type BlockingQuery, startBlockingQuery } from '@geosearch/search-client/blocking-query';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { ConsulHttp } from './consul-http.js';
import { planKvConfig } from './kv-config-plan.js';

/** Options of {@link startKvConfig}. */
export interface KvConfigOptions {
  readonly http: ConsulHttp;
  /** The KV folder, ending with `/` (e.g. `config/search-service/`). */
  readonly prefix: string;
  /** The running configuration (changed in place by `applyLive`). */
  readonly config: Readonly<Config>;
  /** Applies live keys; returns the keys applied. */
  readonly applyLive: (changes: Partial<Config>) => readonly string[];
  readonly log: Logger;
  /** How long one blocking query waits for a change, in milliseconds (default 30000). */
  readonly waitMs?: number;
  /** Least time between two queries, in milliseconds (default 500). */
  readonly minIntervalMs?: number;
}

/** One entry of `GET /v1/kv/<prefix>?recurse`. */
interface KvEntry {
  readonly Key: string;
  readonly Value: string | null;
}

/** The `name → text` snapshot of the keys directly in `prefix` (sub-folders ignored). */
export function kvSnapshot(entries: unknown, prefix: string): Map<string, string> {
  const snapshot = new Map<string, string>();
  if (!Array.isArray(entries)) return snapshot;
  for (const entry of entries as KvEntry[]) {
    if (typeof entry?.Key !== 'string' || !entry.Key.startsWith(prefix)) continue;
    const name = entry.Key.slice(prefix.length);
    if (name === '' || name.includes('/')) continue;
    snapshot.set(name, entry.Value === null ? '' : Buffer.from(entry.Value, 'base64').toString('utf8'));
  }
  return snapshot;
}

/**
 * Watches the KV folder `prefix` with blocking queries and applies it to
 * the running configuration: each key is a configuration key name and its
 * text is parsed by that key's schema. Values present at start are applied
 * by the first query. Valid changes of live keys apply at once through
 * `applyLive`; invalid values are logged and rejected (the previous value
 * stays); changes of keys that only apply at start are logged as needing a
 * restart; a key removed from KV returns to its value from the environment,
 * flags or default. While the agent is unreachable the configuration stays
 * as it is and the watch retries with backoff.
 */
export function startKvConfig(options: KvConfigOptions): BlockingQuery {
  const { http, prefix, config, log } = options;
  const waitMs = options.waitMs ?? 30_000;
  const base: Readonly<Config> = { ...config };
  const path = `/kv/${prefix.split('/').map(encodeURIComponent).join('/')}`;
  let previous: ReadonlyMap<string, string> = new Map();

  const apply = (snapshot: Map<string, string>) => {
    const plan = planKvConfig(snapshot, previous, config, base);
    previous = snapshot;
    for (const r of plan.rejected) {
      log.error(
        { kvKey: `${prefix}${r.key}`, key: r.key, value: r.value, reason: r.reason, inForce: config[r.key] },
        'consul kv: invalid value rejected; the previous value stays in force',
      );
    }
    if (plan.unknown.length > 0) {
      log.warn({ prefix, names: plan.unknown }, 'consul kv: not configuration keys: ignored');
    }
    // Values of start-only keys are not logged: some are secrets (database_url, kafka_sasl_password).
    for (const r of plan.restartNeeded) {
      log.warn(
        { kvKey: `${prefix}${r.key}`, key: r.key, removed: r.value === undefined },
        'consul kv: this key applies only at start: restart needed, with the value set in the environment or flags (e.g. through envconsul); the running value stays',
      );
    }
    if (Object.keys(plan.live).length > 0) {
      log.info({ prefix, changes: plan.live }, 'consul kv: applying live configuration');
      options.applyLive(plan.live);
    }
  };

  return startBlockingQuery({
    query: async (index, signal) => {
      const response = await http.call(path, {
        query: { recurse: true, index: String(index), wait: `${Math.ceil(waitMs / 1000)}s` },
        extraMs: waitMs + waitMs / 16,
        signal,
      });
      if (response.status === 404) return { index: response.index, value: new Map<string, string>() };
      if (response.status !== 200) throw new Error(`GET /v1${path}: status ${response.status}`);
      return { index: response.index, value: kvSnapshot(response.body, prefix) };
    },
    onValue: apply,
    onError: (error, failures) => {
      const reason = error instanceof Error ? error.message : String(error);
      if (failures === 1) {
        log.warn({ prefix, reason }, 'consul kv: unreachable: keeping the current configuration; retrying');
      } else {
        log.debug({ prefix, reason, failures }, 'consul kv: still unreachable');
      }
    },
    onRecovered: (failures) => log.info({ prefix, failures }, 'consul kv: watching again'),
    ...(options.minIntervalMs === undefined ? {} : { minIntervalMs: options.minIntervalMs }),
  });
}
