import type { ConfigKey } from '../config/schema.js';
import { configKeys } from '../config/schema.js';
import { createConsulHttp } from './consul-http.js';
import { kvSnapshot } from './consul-kv-config.js';
import type { ConsulSettings } from './consul-settings.js';

/** KV values read at start: the valid ones to apply, and the refused ones with their reasons. */
export interface KvStartConfig {
  readonly values: Partial<Record<ConfigKey, unknown>>;
  readonly refused: readonly { readonly key: string; readonly reason: string }[];
}

/**
 * Reads the KV configuration folder once, before the server starts, so that
 * keys which apply only at start (the listen address, the database) take
 * effect on a restart too. Each value is checked by its key's schema; an
 * invalid or unknown key is refused and reported, never fatal. When the agent
 * cannot be reached in time the answer is empty: the server starts on its
 * environment and flags, and the KV watch catches up later.
 */
export async function readKvStartConfig(settings: ConsulSettings): Promise<KvStartConfig> {
  if (settings.kvPrefix === undefined) return { values: {}, refused: [] };
  const http = createConsulHttp({
    addr: settings.addr,
    token: settings.token,
    timeoutMs: settings.timeoutMs,
  });
  let entries: unknown;
  try {
    const response = await http.call(
      `/kv/${settings.kvPrefix.split('/').map(encodeURIComponent).join('/')}`,
      {
        query: { recurse: true },
      },
    );
    if (response.status !== 200) return { values: {}, refused: [] };
    entries = response.body;
  } catch {
    return { values: {}, refused: [] };
  }
  const values: Partial<Record<ConfigKey, unknown>> = {};
  const refused: { key: string; reason: string }[] = [];
  for (const [key, text] of kvSnapshot(entries, settings.kvPrefix)) {
    if (!Object.hasOwn(configKeys, key)) {
      refused.push({ key, reason: 'not a configuration key' });
      continue;
    }
    const parsed = configKeys[key as ConfigKey].schema.safeParse(text);
    if (parsed.success) values[key as ConfigKey] = parsed.data;
    else refused.push({ key, reason: parsed.error.issues[0]?.message ?? 'invalid' });
  }
  return { values, refused };
}
