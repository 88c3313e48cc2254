export { ConfigError, configHelp, envName, flagName, loadConfig, parseConfig } from './config/load-config.js';
export { type Config, type ConfigKey, configKeys, configSchema } from './config/schema.js';
export type { ExtensionContext, ServerExtension, ThingChange } from './extension.js';
export { main } from './main.js';
export { classifyError, statusOfCode } from './rpc/status.js';
export { type RunningServer, startSearchServer } from './server.js';
export { serverVersion } from './version.js';
