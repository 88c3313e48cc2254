import type { Config } from './config/schema.js';
import { createConsulExtension } from './consul/consul-extension.js';
import { consulSettingsFromConfig } from './consul/consul-settings.js';
import type { ServerExtension } from './extension.js';
import { createKafkaExtension } from './kafka/kafka-extension.js';
import { kafkaSettingsFromConfig } from './kafka/kafka-settings.js';

/**
 * The extensions the configuration asks for (Consul, Kafka). Each is created
 * here, from configuration only (Consul also honours CONSUL_HTTP_ADDR and
 * CONSUL_HTTP_TOKEN from `env`), and starts working in its `afterStart` hook.
 */
export function createExtensions(
  _config: Config,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ServerExtension[] {
  const extensions: ServerExtension[] = [];
  // Consul: when consul_addr (or CONSUL_HTTP_ADDR in `env`) names an agent.
  const consul = consulSettingsFromConfig(_config, env);
  if (consul) extensions.push(createConsulExtension({ settings: consul }));
  const kafka = kafkaSettingsFromConfig(_config);
  if (kafka)
    extensions.push(createKafkaExtension({ settings: kafka, logLevel: () => _config.kafka_log_level }));
  return extensions;
}
