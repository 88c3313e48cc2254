/**
 * What the SDK's methods return: plain, structured-cloneable objects.
 */

/** An axis-aligned bounding box in decimal degrees. */
export interface BoundingBox {
  readonly minLng: number;
  readonly minLat: number;
  readonly maxLng: number;
  readonly maxLat: number;
}

/** A named place with a polygonal footprint. */
export interface Thing {
  /** Server-assigned, positive, stable. */
  readonly id: number;
  /** Caller-assigned, unique; imports upsert by it. */
  readonly externalId: string;
  readonly name: string;
  /** Free-form properties of the imported feature. */
  readonly properties: Readonly<Record<string, unknown>>;
  /**
   * The footprint as GeoJSON MultiPolygon text, exactly as the server sent it
   * (parse it with `parseGeometry` when needed); undefined unless the call
   * asked for the `full` view.
   */
  readonly geometryGeojson: string | undefined;
  /** The footprint's bounding box (always sent by v1 servers). */
  readonly bbox: BoundingBox | undefined;
  readonly createTime: Date | undefined;
  readonly updateTime: Date | undefined;
  /** Starts at 1, grows by one on every update. */
  readonly version: number;
}

/** One search hit. */
export interface SearchHit {
  readonly thing: Thing;
  /** Name similarity to the query, 0 to 1; 1 when there was no query. */
  readonly score: number;
}

/** One page of search hits, best first. */
export interface SearchPage {
  readonly results: readonly SearchHit[];
  /** Pass as `pageToken` for the next page; undefined on the last page. */
  readonly nextPageToken: string | undefined;
}

/** One nearby thing. */
export interface NearbyHit {
  readonly thing: Thing;
  /** Metres from the point to the footprint; 0 when inside. */
  readonly distanceMeters: number;
}

/** The thing a delete removed. */
export interface DeletedThing {
  readonly id: number;
  readonly externalId: string;
}

/** Why one imported feature was refused. */
export interface ImportRejection {
  /** The feature's position in the import, from 0, across collections and messages. */
  readonly index: number;
  /** The feature's external id, when it had one. */
  readonly externalId: string | undefined;
  /** What was wrong: the field and the reason. */
  readonly reason: string;
}

/** The outcome of an import. */
export interface ImportResult {
  readonly created: number;
  readonly updated: number;
  readonly rejected: number;
  /** At most 1000 entries; `rejected` counts them all. */
  readonly rejections: readonly ImportRejection[];
}

/** The state of the server instance that answered a `monitor` call. */
export interface InstanceStatus {
  readonly nThings: number;
  readonly schemaVersion: string;
  readonly serverVersion: string;
  readonly uptimeSeconds: number;
  /** Unique per server process: tells which instance answered. */
  readonly instanceId: string;
  /** `postgres` or `pglite`. */
  readonly databaseBackend: string;
  readonly logsDropped: number;
  /** The instance's in-memory point index: `off`, `loading`, `ready`, `stale`, `too large` or `failed`. */
  readonly pointIndexState: string;
  /** Things held by the point index. */
  readonly pointIndexThings: number;
}
