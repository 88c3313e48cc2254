import type { Config } from '../config/schema.js';

/** Everything the Consul extension needs, resolved from configuration and environment. */
export interface ConsulSettings {
  /** The agent: `host:port` or `http(s)://host:port`. */
  readonly addr: string;
  /** ACL token; empty: none. */
  readonly token: string;
  readonly serviceName: string;
  /** The address registered (no brackets around IPv6). */
  readonly serviceAddress: string;
  readonly tags: readonly string[];
  readonly checkMode: 'grpc' | 'ttl';
  /** Check interval as Consul writes it (`2s`) and in milliseconds. */
  readonly checkInterval: string;
  readonly checkIntervalMs: number;
  readonly checkTimeout: string;
  readonly checkTimeoutMs: number;
  readonly deregisterAfter: string;
  /** Bound on one HTTP call to the agent, in milliseconds. */
  readonly timeoutMs: number;
  /** KV folder of live configuration (ends with `/`), or undefined when KV configuration is off. */
  readonly kvPrefix: string | undefined;
  /** The gRPC port serves TLS (the agent's gRPC check must use TLS). */
  readonly tls: boolean;
  /** Clients must present a certificate (the agent's gRPC check cannot, unless its own TLS is set up for it). */
  readonly mtls: boolean;
}

const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration such as `500ms`, `2s`, `1m` or `1h` (the form the schema accepts). */
export function durationMs(text: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  return Number(match[1]) * (units[match[2] as string] as number);
}

/** The host part of `host:port` without IPv6 brackets; wildcard hosts become loopback. */
export function registeredHost(listen: string): string {
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/**
 * The Consul settings of `config`, or undefined when no agent is configured.
 * The agent is `consul_addr`, else `CONSUL_HTTP_ADDR` from `env` (with
 * `CONSUL_HTTP_SSL=true` meaning https); the token is `consul_token`, else
 * `CONSUL_HTTP_TOKEN`. An empty `consul_kv_prefix` means `config/<service_name>/`.
 */
export function consulSettingsFromConfig(
  config: Config,
  env: Readonly<Record<string, string | undefined>> = {},
): ConsulSettings | undefined {
  let addr = config.consul_addr;
  if (addr === '' && env.CONSUL_HTTP_ADDR) {
    addr = env.CONSUL_HTTP_ADDR;
    if (!/^https?:\/\//.test(addr) && env.CONSUL_HTTP_SSL === 'true') addr = `https://${addr}`;
  }
  if (addr === '') return undefined;
  const prefix = config.consul_kv_prefix || `config/${config.service_name}/`;
  return {
    addr,
    token: config.consul_token || env.CONSUL_HTTP_TOKEN || '',
    serviceName: config.service_name,
    serviceAddress: config.consul_service_address || registeredHost(config.listen),
    tags: config.consul_service_tags
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
    checkMode: config.consul_check_mode,
    checkInterval: config.consul_check_interval,
    checkIntervalMs: durationMs(config.consul_check_interval),
    checkTimeout: config.consul_check_timeout,
    checkTimeoutMs: durationMs(config.consul_check_timeout),
    deregisterAfter: config.consul_deregister_after,
    timeoutMs: config.consul_timeout_ms,
    kvPrefix: config.consul_kv ? (prefix.endsWith('/') ? prefix : `${prefix}/`) : undefined,
    tls: config.tls_cert_file !== '',
    mtls: config.tls_client_ca_file !== '',
  };
}
