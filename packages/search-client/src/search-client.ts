import type { SearchServiceClient } from '@geosearch/generated';
import { type CallOptions as GrpcCallOptions, Status } from 'nice-grpc-common';
import type { SearchClientOptions } from './client-options.js';
import { createStaticDiscovery } from './discovery.js';
import {
  deletedFromWire,
  importResultFromWire,
  nearbyFromWire,
  searchPageFromWire,
  statusFromWire,
  thingFromWire,
} from './from-wire.js';
import { defaultMaxMessageBytes, importMessages } from './import-messages.js';
import { createInvoker } from './invoke.js';
import type {
  CallOptions,
  DeleteThingRequest,
  GetThingRequest,
  ImportItem,
  ImportOptions,
  NearbyRequest,
  SearchRequest,
} from './requests.js';
import type { DeletedThing, ImportResult, InstanceStatus, NearbyHit, SearchPage, Thing } from './results.js';
import { createRetryBudget } from './retry-budget.js';
import { invalidArgument, SearchClientError } from './search-client-error.js';
import { createTargetPool } from './target-pool.js';
import { deleteThingToWire, getThingToWire, nearbyToWire, searchToWire } from './to-wire.js';
import { createGrpcTransport } from './transport.js';

/**
 * A typed client of geosearch.v1.SearchService. Every method takes plain
 * objects, returns plain objects and throws only SearchClientError (except
 * that errors thrown by an import's own feature source pass through).
 */
export interface SearchClient {
  /** Things whose footprint contains a point and/or whose name matches; one page. Idempotent. */
  search(request: SearchRequest, options?: CallOptions): Promise<SearchPage>;
  /** The nearest things to a point, nearest first. Idempotent. */
  nearby(request: NearbyRequest, options?: CallOptions): Promise<NearbyHit[]>;
  /** One thing by `{ id }` or `{ externalId }`; `not_found` when there is none. Idempotent. */
  getThing(request: GetThingRequest, options?: CallOptions): Promise<Thing>;
  /** Deletes one thing; `not_found` when there is none. Never retried. */
  deleteThing(request: DeleteThingRequest, options?: CallOptions): Promise<DeletedThing>;
  /** The state of the instance that answered. Idempotent. */
  monitor(options?: CallOptions): Promise<InstanceStatus>;
  /**
   * Streams GeoJSON Features (or FeatureCollections, or Feature texts) to
   * the server, which upserts them by external id; returns the counts and
   * the rejected features. Never retried: re-running an import is safe, as
   * it upserts.
   */
  importThings(
    features: AsyncIterable<ImportItem> | Iterable<ImportItem>,
    options?: ImportOptions,
  ): Promise<ImportResult>;
  /** Closes every connection and the discovery source. Calls after it fail with `cancelled`. */
  close(): Promise<void>;
}

const positive = (field: string, value: number | undefined, fallback: number) => {
  if (value === undefined) return fallback;
  if (!(value > 0) || !Number.isFinite(value)) throw invalidArgument(field, 'must be a positive number');
  return value;
};

/**
 * Creates a {@link SearchClient}. Connections open on first use; calls go
 * round-robin over the targets; a target that answers UNAVAILABLE is set
 * aside for a while, and idempotent calls are retried on another target
 * (only on UNAVAILABLE, with jittered exponential backoff, within a retry
 * budget). Throws an `invalid_argument` SearchClientError for bad options.
 */
export function createSearchClient(options: SearchClientOptions): SearchClient {
  const deadlineMs = positive('deadlineMs', options.deadlineMs, 5_000);
  const importDeadlineMs = positive('importDeadlineMs', options.importDeadlineMs, 600_000);
  const maxAttempts = Math.floor(positive('retry.maxAttempts', options.retry?.maxAttempts, 3));
  const discovery =
    options.discovery ?? createStaticDiscovery((options as { targets?: readonly string[] }).targets ?? []);
  const transport =
    options.transport ?? createGrpcTransport({ tls: options.tls, channelOptions: options.channelOptions });
  const pool = createTargetPool({
    discovery,
    transport,
    setAsideMs: options.setAsideMs ?? 5_000,
  });
  const invoke = createInvoker({
    pool,
    budget: createRetryBudget(options.retry?.budget),
    maxAttempts,
    backoff: options.retry ?? {},
  });

  /** A unary call with the client's defaults. */
  const unary = <T>(
    method: string,
    idempotent: boolean,
    callOptions: CallOptions | undefined,
    attempt: (client: SearchServiceClient, grpcOptions: GrpcCallOptions) => Promise<T>,
  ) =>
    invoke({
      method,
      idempotent,
      deadlineMs: positive('deadlineMs', callOptions?.deadlineMs, deadlineMs),
      signal: callOptions?.signal,
      metadata: callOptions?.metadata,
      attempt,
    });

  return {
    async search(request, callOptions) {
      const wire = searchToWire(request);
      return searchPageFromWire(await unary('Search', true, callOptions, (c, o) => c.search(wire, o)));
    },
    async nearby(request, callOptions) {
      const wire = nearbyToWire(request);
      return nearbyFromWire(await unary('Nearby', true, callOptions, (c, o) => c.nearby(wire, o)));
    },
    async getThing(request, callOptions) {
      const wire = getThingToWire(request);
      const response = await unary('GetThing', true, callOptions, (c, o) => c.getThing(wire, o));
      if (response.thing === undefined) {
        throw new SearchClientError('internal', 'GetThing: the response carries no thing', {
          grpcCode: Status.INTERNAL,
          method: 'GetThing',
        });
      }
      return thingFromWire(response.thing);
    },
    async deleteThing(request, callOptions) {
      const wire = deleteThingToWire(request);
      return deletedFromWire(
        await unary('DeleteThing', false, callOptions, (c, o) => c.deleteThing(wire, o)),
      );
    },
    async monitor(callOptions) {
      return statusFromWire(await unary('Monitor', true, callOptions, (c, o) => c.monitor({}, o)));
    },
    async importThings(features, importOptions = {}) {
      const batchFeatures = Math.floor(positive('batchFeatures', importOptions.batchFeatures, 1000));
      const messages = importMessages(features, {
        idProperty: importOptions.idProperty,
        nameProperty: importOptions.nameProperty,
        batchFeatures,
        maxMessageBytes: defaultMaxMessageBytes,
        onProgress: importOptions.onProgress,
      });
      // Errors of the caller's own source (or progress callback) pass through unchanged.
      const callerErrors = new Set<unknown>();
      async function* guarded() {
        try {
          yield* messages;
        } catch (error) {
          callerErrors.add(error);
          throw error;
        }
      }
      const response = await invoke({
        method: 'ImportThings',
        idempotent: false,
        deadlineMs: positive('deadlineMs', importOptions.deadlineMs, importDeadlineMs),
        signal: importOptions.signal,
        metadata: importOptions.metadata,
        isCallerError: (error) => callerErrors.has(error),
        attempt: (client, grpcOptions) => client.importThings(guarded(), grpcOptions),
      });
      return importResultFromWire(response);
    },
    close: () => pool.close(),
  };
}
