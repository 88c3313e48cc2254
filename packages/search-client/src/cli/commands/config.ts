import { Status } from 'nice-grpc-common';
import { createConsulKv } from '../../config-keys/consul-kv.js';
import { configValueProblem, isLiveConfigKey, liveConfigKeys } from '../../config-keys/live-config-keys.js';
import { startBlockingQuery } from '../../discovery/blocking-query.js';
import { SearchClientError } from '../../search-client-error.js';
import { flag, type OptionValues, stringOption } from '../arguments.js';
import type { Command } from '../command.js';
import { formatFields, writeJson } from '../output.js';
import { UsageError } from '../usage-error.js';

const knownKeys = () => Object.keys(liveConfigKeys).join(', ');

/** The KV folder of the service's configuration, ending with `/`. */
function prefixOf(values: OptionValues): string {
  const given = stringOption(values, 'prefix');
  const prefix = given ?? `config/${stringOption(values, 'service') ?? 'search-service'}/`;
  if (prefix === '' || prefix === '/') throw new UsageError('--prefix', 'must not be empty');
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** Waits for Ctrl-C (SIGINT or SIGTERM). */
const interrupted = () =>
  new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

/** `geosearch config get|set|watch`: the server's live configuration in Consul KV. */
export const configCommand: Command = {
  name: 'config',
  summary: 'read, change (validated) or watch the live configuration in Consul KV',
  usage: 'geosearch config get [KEY] | set KEY VALUE | watch',
  options: {
    consul: { type: 'string' },
    service: { type: 'string' },
    prefix: { type: 'string' },
    force: { type: 'boolean' },
  },
  optionsHelp: `Options:
  --consul HOST:PORT   Consul agent (default: $CONSUL_HTTP_ADDR, else 127.0.0.1:8500);
                       the ACL token is read from $CONSUL_HTTP_TOKEN
  --service NAME       service whose configuration to use (default search-service)
  --prefix FOLDER      KV folder (default config/<service>/)
  --force              set: write a key the CLI does not know (not validated)

Live keys: ${knownKeys()}`,
  positionals: [1, 3],
  async run({ values, positionals, io, json }) {
    const [action, key, value] = positionals as [string, string?, string?];
    const counts = { get: [0, 1], set: [2, 2], watch: [0, 0] } as const;
    const expected = counts[action as keyof typeof counts];
    if (expected === undefined) throw new UsageError('ACTION', `expected get, set or watch, got '${action}'`);
    const given = positionals.length - 1;
    if (given < expected[0] || given > expected[1]) {
      throw new UsageError(
        action,
        `expected ${configCommand.usage.split(' | ').find((u) => u.includes(action))}`,
      );
    }
    const token = io.env.CONSUL_HTTP_TOKEN;
    const kv = createConsulKv({
      addr: stringOption(values, 'consul') ?? (io.env.CONSUL_HTTP_ADDR?.trim() || '127.0.0.1:8500'),
      ...(token ? { token } : {}),
    });
    const prefix = prefixOf(values);

    if (action === 'set' && key !== undefined && value !== undefined) {
      if (isLiveConfigKey(key)) {
        const problem = configValueProblem(key, value);
        if (problem !== undefined) throw new UsageError(key, `invalid value '${value}': ${problem}`);
      } else if (!flag(values, 'force')) {
        throw new UsageError(
          key,
          `not a live configuration key (known: ${knownKeys()}); --force writes it anyway`,
        );
      }
      await kv.put(`${prefix}${key}`, value);
      if (json) writeJson(io.stdout, { key: `${prefix}${key}`, value });
      else io.stdout.write(`${prefix}${key} = ${value}\n`);
      return;
    }
    if (action === 'get' && key !== undefined) {
      const text = await kv.get(`${prefix}${key}`);
      // Unset is not_found (exit 3), like a missing thing: scripts can tell it from an empty value.
      if (text === undefined)
        throw new SearchClientError('not_found', `${prefix}${key} is not set`, {
          grpcCode: Status.NOT_FOUND,
        });
      if (json) writeJson(io.stdout, { key: `${prefix}${key}`, value: text });
      else io.stdout.write(`${text}\n`);
      return;
    }
    if (action === 'get') {
      const { entries } = await kv.list(prefix);
      if (json) writeJson(io.stdout, Object.fromEntries(entries));
      else io.stdout.write(entries.size === 0 ? `nothing under ${prefix}\n` : formatFields([...entries]));
      return;
    }

    // watch: print the folder, then every change, until interrupted.
    let previous: ReadonlyMap<string, string> | undefined;
    const print = (name: string, before: string | undefined, after: string | undefined) => {
      if (json)
        io.stdout.write(`${JSON.stringify({ key: name, before: before ?? null, value: after ?? null })}\n`);
      else
        io.stdout.write(
          `${new Date().toISOString()} ${name}: ${before ?? '(unset)'} -> ${after ?? '(unset)'}\n`,
        );
    };
    const query = startBlockingQuery<ReadonlyMap<string, string>>({
      query: async (index, signal) => {
        const folder = await kv.list(prefix, index, signal);
        return { index: folder.index, value: folder.entries };
      },
      onValue: (entries) => {
        if (previous === undefined && !json) io.stdout.write(`watching ${prefix} (Ctrl-C to stop)\n`);
        for (const name of new Set([...(previous?.keys() ?? []), ...entries.keys()])) {
          const before = previous?.get(name);
          const after = entries.get(name);
          if (before !== after) print(name, before, after);
        }
        previous = entries;
      },
      onError: (error, failures) => {
        if (failures === 1) io.stderr.write(`geosearch config: ${(error as Error).message}; retrying\n`);
      },
      onRecovered: () => io.stderr.write('geosearch config: watching again\n'),
    });
    await interrupted();
    query.stop();
    await query.done;
  },
};
