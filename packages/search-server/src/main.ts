import { ConfigError, configHelp, loadConfig } from './config/load-config.js';
import { consulSettingsFromConfig } from './consul/consul-settings.js';
import { readKvStartConfig } from './consul/kv-start-config.js';
import { createExtensions } from './extensions.js';
import { startSearchServer } from './server.js';
import { serverVersion } from './version.js';

/**
 * The `search-server` command: parses flags and environment, starts the
 * server, and shuts it down gracefully on SIGTERM or SIGINT (a second
 * signal exits at once). Exit codes: 0 clean, 1 failed, 2 bad configuration.
 */
export async function main(argv: readonly string[], env: Record<string, string | undefined>): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${configHelp()}\n`);
    return;
  }
  if (argv.includes('--version')) {
    process.stdout.write(`${serverVersion}\n`);
    return;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({ env, argv });
    // Consul KV values win over flags and environment (as envconsul did), for start-only keys too.
    const consul = consulSettingsFromConfig(config, env);
    if (consul) {
      const kv = await readKvStartConfig(consul);
      for (const { key, reason } of kv.refused) {
        process.stderr.write(`search-server: Consul KV ${consul.kvPrefix ?? ''}${key} ignored: ${reason}\n`);
      }
      if (Object.keys(kv.values).length > 0) config = loadConfig({ env, argv, overrides: kv.values });
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`search-server: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  let extensions: ReturnType<typeof createExtensions>;
  try {
    extensions = createExtensions(config, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`search-server: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  const server = await startSearchServer(config, extensions);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`search-server: second ${signal}: exiting now\n`);
      process.exit(1);
    }
    server.logger.log.info({ signal }, 'signal received');
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
