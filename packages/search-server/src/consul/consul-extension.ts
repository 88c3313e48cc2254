import type { BlockingQuery } from '@geosearch/search-client/blocking-query';
import { createChannel, createClient } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import type { ExtensionContext, ServerExtension } from '../extension.js';
import { serverVersion } from '../version.js';
import { createConsulHttp } from './consul-http.js';
import { startKvConfig } from './consul-kv-config.js';
import { type ConsulRegistration, type ProbeResult, startConsulRegistration } from './consul-registration.js';
import { checkedGrpcService, joinHostPort } from './consul-service-definition.js';
import { type ConsulSettings, registeredHost } from './consul-settings.js';

/** grpc.health.v1 HealthCheckResponse.ServingStatus.SERVING. */
const SERVING = 1;

/** Options of {@link createConsulExtension}. */
export interface ConsulExtensionOptions {
  readonly settings: ConsulSettings;
  /** The fetch used for the agent's HTTP API (tests pass a fake one). */
  readonly fetch?: typeof fetch;
}

/**
 * Consul for the server: registers the instance with a gRPC (or TTL) health
 * check once it serves, keeps the registration alive across agent restarts,
 * applies configuration from KV live, and deregisters before in-flight
 * calls drain. Consul being unreachable never stops or delays serving: it
 * is logged as degraded discovery and retried.
 */
export function createConsulExtension(options: ConsulExtensionOptions): ServerExtension {
  const { settings } = options;
  let registration: ConsulRegistration | undefined;
  let kv: BlockingQuery | undefined;
  let closeProbe: (() => void) | undefined;

  /** ttl mode without TLS: asks the server's own Health service, as the agent would in grpc mode. */
  const selfProbe = (context: ExtensionContext) => {
    const channel = createChannel(joinHostPort(registeredHost(context.config.listen), context.port));
    const health = createClient(HealthDefinition, channel);
    closeProbe = () => channel.close();
    return async (signal: AbortSignal): Promise<ProbeResult> => {
      const { status } = await health.check({ service: checkedGrpcService }, { signal });
      return { passing: status === SERVING, output: status === SERVING ? 'SERVING' : 'NOT_SERVING' };
    };
  };

  return {
    name: 'consul',
    afterStart(context) {
      const http = createConsulHttp({
        addr: settings.addr,
        token: settings.token,
        timeoutMs: settings.timeoutMs,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      if (settings.checkMode === 'grpc' && settings.mtls) {
        context.log.warn(
          { consul: http.baseUrl },
          'consul: the gRPC health check needs a client certificate the agent may not have (mTLS is on); consider consul_check_mode=ttl',
        );
      }
      if (settings.checkMode === 'ttl' && settings.tls) {
        context.log.info('consul: ttl mode over TLS reports liveness only (no self health probe)');
      }
      const probe = settings.checkMode === 'ttl' && !settings.tls ? selfProbe(context) : undefined;
      registration = startConsulRegistration({
        http,
        settings,
        facts: { instanceId: context.instanceId, port: context.port, version: serverVersion },
        log: context.log,
        ...(probe ? { probe } : {}),
      });
      if (settings.kvPrefix !== undefined) {
        kv = startKvConfig({
          http,
          prefix: settings.kvPrefix,
          config: context.config,
          applyLive: context.applyLive,
          log: context.log,
        });
      }
    },
    async beforeDrain() {
      kv?.stop();
      await registration?.stop();
      closeProbe?.();
    },
  };
}
