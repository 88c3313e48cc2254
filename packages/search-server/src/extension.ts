import type { DestinationStream, Logger } from 'pino';
import type { Config } from './config/schema.js';
import type { Metrics } from './telemetry/metrics.js';

/** A thing written or removed, for data events. */
export interface ThingChange {
  readonly id: number;
  readonly externalId: string;
  readonly version: number;
}

/** What an extension may use of the running server. */
export interface ExtensionContext {
  readonly config: Config;
  readonly instanceId: string;
  /** The port the gRPC server listens on. */
  readonly port: number;
  readonly log: Logger;
  readonly metrics: () => Metrics;
  /** Applies configuration changes that can take effect without a restart; returns the keys applied. */
  readonly applyLive: (changes: Partial<Config>) => readonly string[];
}

/**
 * A part of the server that comes and goes with configuration (Consul
 * registration and KV, Kafka log shipping and data events). Every hook is
 * optional; a failing hook is logged and never stops the server.
 */
export interface ServerExtension {
  readonly name: string;
  /** An extra destination for every log line (JSON text), besides stdout. Called once, before start. */
  readonly logStream?: () => DestinationStream;
  /** Runs once the server is serving. */
  readonly afterStart?: (context: ExtensionContext) => Promise<void> | void;
  /** Runs after health turns NOT_SERVING, before in-flight calls drain (for deregistration). */
  readonly beforeDrain?: () => Promise<void> | void;
  /** Runs after calls have drained, before the database closes (to flush buffers), within `budgetMs`. */
  readonly afterDrain?: (budgetMs: number) => Promise<void> | void;
  /** Called after an import batch commits. Must not throw or block. */
  readonly onUpserted?: (things: readonly ThingChange[]) => void;
  /** Called after a thing is deleted. Must not throw or block. */
  readonly onDeleted?: (thing: ThingChange) => void;
  /** Log records this extension had to drop (for Monitor and metrics). */
  readonly logsDropped?: () => number;
}
