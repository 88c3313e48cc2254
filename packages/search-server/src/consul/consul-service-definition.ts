import type { ConsulSettings } from './consul-settings.js';

/** The gRPC service the agent's health check asks about (its status follows the server's readiness). */
export const checkedGrpcService = 'geosearch.v1.SearchService';
/** The protobuf package the instance serves, registered as metadata. */
export const protoPackage = 'geosearch.v1';

/** What an instance registers besides its settings. */
export interface InstanceFacts {
  readonly instanceId: string;
  readonly port: number;
  readonly version: string;
}

/** The check id of an instance's health check (`service:<instance id>`). */
export const checkId = (instanceId: string) => `service:${instanceId}`;

/**
 * In ttl mode the server reports every half interval and the agent marks the
 * instance critical when no report came for an interval plus the timeout, so
 * a dead instance is seen about as fast as in grpc mode and one lost report
 * does not flap the check.
 */
export function ttlTiming(settings: ConsulSettings): {
  readonly ttlMs: number;
  readonly reportEveryMs: number;
} {
  return {
    ttlMs: settings.checkIntervalMs + settings.checkTimeoutMs,
    reportEveryMs: Math.max(100, Math.floor(settings.checkIntervalMs / 2)),
  };
}

/** `host:port`, with brackets around an IPv6 host. */
export const joinHostPort = (host: string, port: number) =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/**
 * The body of `PUT /v1/agent/service/register` for one instance: unique id
 * (the instance id), address, port, tags, metadata (version, proto package)
 * and one health check, gRPC (the agent calls grpc.health.v1.Health for
 * geosearch.v1.SearchService) or TTL, which the agent removes with the
 * service once it has stayed critical for `deregisterAfter`.
 */
export function consulServiceDefinition(
  settings: ConsulSettings,
  facts: InstanceFacts,
): Record<string, unknown> {
  const common = {
    CheckID: checkId(facts.instanceId),
    DeregisterCriticalServiceAfter: settings.deregisterAfter,
  };
  const check =
    settings.checkMode === 'grpc'
      ? {
          ...common,
          Name: 'gRPC health',
          GRPC: `${joinHostPort(settings.serviceAddress, facts.port)}/${checkedGrpcService}`,
          GRPCUseTLS: settings.tls,
          Interval: settings.checkInterval,
          Timeout: settings.checkTimeout,
        }
      : {
          ...common,
          Name: 'TTL reported by the server',
          TTL: `${ttlTiming(settings).ttlMs}ms`,
        };
  return {
    ID: facts.instanceId,
    Name: settings.serviceName,
    Address: settings.serviceAddress,
    Port: facts.port,
    Tags: [...settings.tags],
    Meta: { version: facts.version, proto_package: protoPackage, instance_id: facts.instanceId },
    Check: check,
  };
}
