import {
  type ImportThingsRequest,
  type MonitorResponse,
  type SearchServiceDefinition,
  ThingView,
} from '@geosearch/generated';
import { invalidArgument, type SearchCore } from '@geosearch/search-core';
import type { ServiceHandlers } from './grpc-host.js';
import { thingToProto, viewFromProto } from './to-proto.js';

/** SearchService's handlers: each takes the request and the call's context and returns a complete response. */
export type SearchServiceHandlers = ServiceHandlers<typeof SearchServiceDefinition>;

/** What Monitor reports beyond core's stats. */
export interface InstanceInfo {
  readonly serverVersion: string;
  readonly instanceId: string;
  readonly databaseBackend: string;
  readonly startedAt: number;
  /** Log records dropped by log shipping so far. */
  readonly logsDropped: () => number;
}

/** Options of {@link createSearchService}. */
export interface SearchServiceOptions {
  readonly core: SearchCore;
  readonly info: InstanceInfo;
  /** Called after an import batch commits or a thing is deleted (data events). */
  readonly onUpserted?: (things: readonly { id: number; externalId: string; version: number }[]) => void;
  readonly onDeleted?: (thing: { id: number; externalId: string; version: number }) => void;
}

const knownViews = new Set<number>([
  ThingView.THING_VIEW_UNSPECIFIED,
  ThingView.THING_VIEW_BASIC,
  ThingView.THING_VIEW_FULL,
]);

function view(value: ThingView) {
  if (!knownViews.has(value)) throw invalidArgument([{ field: 'view', reason: 'is not a known ThingView' }]);
  return viewFromProto(value);
}

function key(
  k: { $case: 'id'; value: number } | { $case: 'externalId'; value: string } | undefined,
): unknown {
  if (k === undefined) return {};
  return k.$case === 'id' ? { id: k.value } : { externalId: k.value };
}

/** Undefined for proto3 defaults (0), so core applies its own defaults. */
const orDefault = (n: number) => (n === 0 ? undefined : n);

/** Reads the first message for options, then yields every GeoJSON text of the stream. */
async function* geojsonTexts(
  first: IteratorResult<ImportThingsRequest>,
  rest: AsyncIterator<ImportThingsRequest>,
) {
  if (first.done) return;
  yield* first.value.geojson;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield* next.value.geojson;
}

/**
 * The SearchService implementation: maps wire messages to core calls and
 * back. The call's context is core's call options (its `signal`, made only
 * when a query reads it).
 */
export function createSearchService(options: SearchServiceOptions): SearchServiceHandlers {
  const { core, info } = options;
  return {
    async search(request, context) {
      const page = await core.search(
        {
          ...(request.point ? { point: request.point } : {}),
          query: request.query,
          pageSize: orDefault(request.pageSize),
          pageToken: request.pageToken,
          view: view(request.view),
        },
        context,
      );
      return {
        results: page.hits.map((hit) => ({ thing: thingToProto(hit.thing), score: hit.score })),
        nextPageToken: page.nextPageToken,
      };
    },

    async nearby(request, context) {
      if (!request.point) throw invalidArgument([{ field: 'point', reason: 'is required' }]);
      const hits = await core.nearby(
        {
          point: request.point,
          limit: orDefault(request.limit),
          maxDistanceMeters: orDefault(request.maxDistanceMeters),
          view: view(request.view),
        },
        context,
      );
      return {
        results: hits.map((hit) => ({ thing: thingToProto(hit.thing), distanceMeters: hit.distanceMeters })),
      };
    },

    async getThing(request, context) {
      const thing = await core.getThing({ key: key(request.key), view: view(request.view) }, context);
      return { thing: thingToProto(thing) };
    },

    async importThings(requests, context) {
      const iterator = requests[Symbol.asyncIterator]();
      const first = await iterator.next();
      const result = await core.importThings(geojsonTexts(first, iterator), {
        signal: context.signal,
        idProperty: first.done ? '' : first.value.idProperty,
        nameProperty: first.done ? '' : first.value.nameProperty,
        ...(options.onUpserted ? { onCommitted: options.onUpserted } : {}),
      });
      return {
        created: result.created,
        updated: result.updated,
        rejected: result.rejected,
        rejections: result.rejections.map((r) => ({
          index: r.index,
          externalId: r.externalId,
          reason: r.reason,
        })),
      };
    },

    async deleteThing(request, context) {
      const deleted = await core.deleteThing({ key: key(request.key) }, context);
      options.onDeleted?.(deleted);
      return { id: deleted.id, externalId: deleted.externalId };
    },

    async monitor(_request, context): Promise<MonitorResponse> {
      const stats = await core.stats(context);
      const pointIndex = core.pointIndexStatus();
      return {
        nThings: stats.nThings,
        schemaVersion: stats.schemaVersion,
        serverVersion: info.serverVersion,
        uptimeSeconds: (Date.now() - info.startedAt) / 1000,
        instanceId: info.instanceId,
        databaseBackend: info.databaseBackend,
        logsDropped: info.logsDropped(),
        pointIndexState: pointIndex?.state ?? 'off',
        pointIndexThings: pointIndex?.things ?? 0,
      };
    },
  };
}
