import { readFile } from 'node:fs/promises';
import type { ParseArgsOptionsConfig } from 'node:util';
import type { SearchClientOptions } from '../client-options.js';
import { isHostPort } from '../discovery.js';
import type { TlsOptions } from '../transport.js';
import { flag, numberOption, type OptionValues, stringOption, stringOptions } from './arguments.js';
import { UsageError } from './usage-error.js';

/** Where the CLI connects when neither `--target` nor `GEOSEARCH_TARGET` says. */
export const defaultTarget = '127.0.0.1:50051';

/** Options every command accepts. */
export const globalOptions = {
  target: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  'deadline-ms': { type: 'string' },
  tls: { type: 'boolean' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'server-name': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

/** Help for {@link globalOptions}. */
export const globalOptionsHelp = `Global options (every command):
  --target HOST:PORT   server to call; repeat or comma-separate for round-robin
                       (default: $GEOSEARCH_TARGET, else ${defaultTarget})
  --json               print one JSON document on stdout instead of a table
  --deadline-ms N      deadline per call in ms (default 5000; import: 600000)
  --tls                connect with TLS (system roots unless --ca)
  --ca FILE            PEM root certificates to trust (implies --tls)
  --cert FILE          PEM client certificate, with --key (implies --tls)
  --key FILE           PEM client key, with --cert (implies --tls)
  --server-name NAME   name expected in the server certificate
  -h, --help           show help`;

/** The targets from `--target` (repeatable, comma-separated), else the environment, else the default. */
export function targetsOf(values: OptionValues, env: Readonly<Record<string, string | undefined>>): string[] {
  const given = stringOptions(values, 'target');
  const [field, raw] =
    given.length > 0
      ? ['--target', given.join(',')]
      : ['GEOSEARCH_TARGET', env.GEOSEARCH_TARGET?.trim() || defaultTarget];
  const targets = raw
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (targets.length === 0) throw new UsageError(field, 'is empty');
  const bad = targets.find((t) => !isHostPort(t));
  if (bad !== undefined) throw new UsageError(field, `'${bad}' is not host:port`);
  return targets;
}

async function pem(values: OptionValues, name: string): Promise<Buffer | undefined> {
  const path = stringOption(values, name);
  if (path === undefined) return undefined;
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(`--${name}`, `cannot read '${path}' (${typeof code === 'string' ? code : error})`);
  }
}

/** The TLS settings from the flags; undefined for plaintext. */
async function tlsOf(values: OptionValues): Promise<TlsOptions | undefined> {
  const [ca, cert, key] = await Promise.all([pem(values, 'ca'), pem(values, 'cert'), pem(values, 'key')]);
  const serverName = stringOption(values, 'server-name');
  if (!flag(values, 'tls') && !ca && !cert && !key) return undefined;
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError(cert === undefined ? '--cert' : '--key', 'is required with the other');
  }
  return {
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(serverName ? { serverName } : {}),
  };
}

/** SDK options from the global flags and the environment. */
export async function clientOptionsOf(
  values: OptionValues,
  env: Readonly<Record<string, string | undefined>>,
): Promise<SearchClientOptions> {
  const targets = targetsOf(values, env);
  const deadlineMs = numberOption(values, 'deadline-ms', { integer: true, min: 1 });
  const tls = await tlsOf(values);
  return {
    targets,
    ...(deadlineMs === undefined ? {} : { deadlineMs, importDeadlineMs: deadlineMs }),
    ...(tls === undefined ? {} : { tls }),
  };
}
