import { type Config, type ConfigKey, configKeys, configSchema } from './schema.js';

/** The configuration could not be parsed; `message` names the key and the reason. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Where configuration comes from, lowest precedence first. */
export interface ConfigSources {
  /** Environment variables (`GEOSEARCH_<KEY>`; also `DATABASE_URL`). */
  readonly env?: Record<string, string | undefined>;
  /** Command-line arguments after the program name (`--key value` or `--key=value`). */
  readonly argv?: readonly string[];
  /** Already-parsed values (for example from Consul KV), highest precedence. */
  readonly overrides?: Partial<Record<ConfigKey, unknown>>;
}

const isKey = (name: string): name is ConfigKey => Object.hasOwn(configKeys, name);

/** The environment variable of a key: `GEOSEARCH_` + upper case. */
export const envName = (name: ConfigKey) => `GEOSEARCH_${name.toUpperCase()}`;
/** The flag of a key: `--` + dashes. */
export const flagName = (name: ConfigKey) => `--${name.replaceAll('_', '-')}`;

function fromEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  if (env.DATABASE_URL) raw.database_url = env.DATABASE_URL;
  for (const name of Object.keys(configKeys) as ConfigKey[]) {
    const value = env[envName(name)];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  return raw;
}

function fromArgv(argv: readonly string[]): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    const name = (eq === -1 ? arg.slice(2) : arg.slice(2, eq)).replaceAll('-', '_');
    if (!isKey(name)) throw new ConfigError(`unknown option ${arg.split('=')[0]} (see --help)`);
    if (eq !== -1) {
      raw[name] = arg.slice(eq + 1);
    } else if (argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('--')) {
      raw[name] = argv[++i];
    } else {
      raw[name] = 'true';
    }
  }
  return raw;
}

/** Parses and validates raw values; throws {@link ConfigError} naming the first bad key. */
export function parseConfig(raw: Record<string, unknown>): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name =
      issue?.path[0] !== undefined
        ? String(issue.path[0])
        : issue?.code === 'unrecognized_keys'
          ? issue.keys.join(', ')
          : 'config';
    throw new ConfigError(`invalid configuration: ${name}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data as Config;
}

/** The configuration from environment, flags and overrides, validated. */
export function loadConfig(sources: ConfigSources): Config {
  return parseConfig({
    ...fromEnv(sources.env ?? {}),
    ...fromArgv(sources.argv ?? []),
    ...sources.overrides,
  });
}

/** `--help` text: every key with its flag, environment variable, default, and whether it applies live. */
export function configHelp(): string {
  const defaults = configSchema.parse({});
  const lines = [
    'Usage: search-server [--key value ...]',
    '',
    'Every option can also be set as an environment variable.',
    '',
  ];
  for (const [name, k] of Object.entries(configKeys) as [ConfigKey, (typeof configKeys)[ConfigKey]][]) {
    const value = JSON.stringify(defaults[name]);
    lines.push(`  ${flagName(name)}  (${envName(name)})${k.live ? '  [live]' : ''}`);
    lines.push(`      ${k.help}. Default: ${value}`);
  }
  lines.push('', '  --help     print this help', '  --version  print the version', '');
  lines.push('[live] keys apply without a restart when changed in Consul KV.');
  return lines.join('\n');
}
