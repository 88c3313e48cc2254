import type {
  DeleteThingResponse,
  ImportThingsResponse,
  MonitorResponse,
  NearbyResponse,
  SearchResponse,
  Thing as WireThing,
} from '@geosearch/generated';
import type { DeletedThing, ImportResult, InstanceStatus, NearbyHit, SearchPage, Thing } from './results.js';

/** A wire thing as a plain {@link Thing}; the geometry stays text, undefined when not sent. */
export function thingFromWire(thing: WireThing): Thing {
  return {
    id: thing.id,
    externalId: thing.externalId,
    name: thing.name,
    properties: thing.properties ?? {},
    geometryGeojson: thing.geometryGeojson === '' ? undefined : thing.geometryGeojson,
    bbox: thing.bbox
      ? {
          minLng: thing.bbox.minLng,
          minLat: thing.bbox.minLat,
          maxLng: thing.bbox.maxLng,
          maxLat: thing.bbox.maxLat,
        }
      : undefined,
    createTime: thing.createTime,
    updateTime: thing.updateTime,
    version: thing.version,
  };
}

/** Hits whose thing is missing (never sent by a v1 server) are dropped. */
function withThing<T extends { thing?: WireThing | undefined }>(hit: T): hit is T & { thing: WireThing } {
  return hit.thing !== undefined;
}

/** A search response as a {@link SearchPage}. */
export function searchPageFromWire(response: SearchResponse): SearchPage {
  return {
    results: response.results
      .filter(withThing)
      .map((hit) => ({ thing: thingFromWire(hit.thing), score: hit.score })),
    nextPageToken: response.nextPageToken === '' ? undefined : response.nextPageToken,
  };
}

/** A nearby response as hits, nearest first. */
export function nearbyFromWire(response: NearbyResponse): NearbyHit[] {
  return response.results
    .filter(withThing)
    .map((hit) => ({ thing: thingFromWire(hit.thing), distanceMeters: hit.distanceMeters }));
}

/** A delete response as a {@link DeletedThing}. */
export function deletedFromWire(response: DeleteThingResponse): DeletedThing {
  return { id: response.id, externalId: response.externalId };
}

/** An import response as an {@link ImportResult}. */
export function importResultFromWire(response: ImportThingsResponse): ImportResult {
  return {
    created: response.created,
    updated: response.updated,
    rejected: response.rejected,
    rejections: response.rejections.map((r) => ({
      index: r.index,
      externalId: r.externalId === '' ? undefined : r.externalId,
      reason: r.reason,
    })),
  };
}

/** A monitor response as an {@link InstanceStatus}. */
export function statusFromWire(response: MonitorResponse): InstanceStatus {
  return {
    nThings: response.nThings,
    schemaVersion: response.schemaVersion,
    serverVersion: response.serverVersion,
    uptimeSeconds: response.uptimeSeconds,
    instanceId: response.instanceId,
    databaseBackend: response.databaseBackend,
    logsDropped: response.logsDropped,
    pointIndexState: response.pointIndexState,
    pointIndexThings: response.pointIndexThings,
  };
}
