/**
 * What the SDK's methods take: plain objects with named coordinates and
 * friendly enums, mapped to the v1 wire messages by the client.
 */

/** A point in decimal degrees (WGS 84). Named, never positional, so the axes cannot be swapped. */
export interface LatLng {
  /** Latitude, -90 to 90. */
  readonly lat: number;
  /** Longitude, -180 to 180. */
  readonly lng: number;
}

/** How much of each thing to return: `full` adds the geometry (can be hundreds of kilobytes). */
export type ThingView = 'basic' | 'full';

/** Which thing: by the server-assigned id or by the caller-assigned external id. */
export type ThingKey =
  | { readonly id: number; readonly externalId?: never }
  | { readonly externalId: string; readonly id?: never };

/** Per-call options of every method. */
export interface CallOptions {
  /** Overrides the client's deadline for this call, in milliseconds (the whole call, retries included). */
  readonly deadlineMs?: number;
  /** Cancels the call; the call then fails with code `cancelled`. */
  readonly signal?: AbortSignal;
  /** Extra request metadata, for example `{ 'x-request-id': '...' }`. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** A search by point, by name, or both (both must then match). */
export interface SearchRequest {
  /** Only things whose footprint contains this point. */
  readonly point?: LatLng;
  /** Only things whose name matches this text (substring or trigram similarity). */
  readonly query?: string;
  /** Results per page, 1 to 1000; the server's default (50) when omitted. */
  readonly pageSize?: number;
  /** `nextPageToken` of the previous page of the same search. */
  readonly pageToken?: string;
  /** Default `basic`. */
  readonly view?: ThingView;
}

/** The nearest things to a point. */
export interface NearbyRequest {
  readonly point: LatLng;
  /** How many, 1 to 1000; the server's default (10) when omitted. */
  readonly limit?: number;
  /** Only things at most this far away, in metres; no limit when omitted. */
  readonly maxDistanceMeters?: number;
  /** Default `basic`. */
  readonly view?: ThingView;
}

/** Looks one thing up by id or external id. */
export type GetThingRequest = ThingKey & {
  /** Default `basic`. */
  readonly view?: ThingView;
};

/** Deletes one thing by id or external id. */
export type DeleteThingRequest = ThingKey;

/** A GeoJSON Feature (RFC 7946) as a plain object; geometry must be a Polygon or MultiPolygon. */
export interface GeoJsonFeature {
  readonly type: 'Feature';
  readonly id?: string | number;
  readonly geometry: unknown;
  readonly properties?: Readonly<Record<string, unknown>> | null;
  readonly [member: string]: unknown;
}

/** A GeoJSON FeatureCollection as a plain object. */
export interface GeoJsonFeatureCollection {
  readonly type: 'FeatureCollection';
  readonly features: readonly unknown[];
  readonly [member: string]: unknown;
}

/**
 * One item of an import: a Feature, a FeatureCollection (sent feature by
 * feature), or a string holding the GeoJSON text of one Feature, sent as it is.
 */
export type ImportItem = GeoJsonFeature | GeoJsonFeatureCollection | string;

/** How far an import has got, reported after each message is handed to gRPC. */
export interface ImportProgress {
  /** Features sent so far. */
  readonly features: number;
  /** Encoded bytes sent so far. */
  readonly bytes: number;
  /** Stream messages sent so far. */
  readonly messages: number;
  /** True on the last report: everything is sent and the server is finishing its last batch. */
  readonly finished: boolean;
}

/** Options of `importThings`, beside the per-call ones. */
export interface ImportOptions extends CallOptions {
  /** The property holding the external id when a feature has no `id`; server default `id`. */
  readonly idProperty?: string;
  /** The property holding the name; server default `name`. */
  readonly nameProperty?: string;
  /** Most features in one stream message (default 1000); messages also stay under ~3.5 MB. */
  readonly batchFeatures?: number;
  /** Called after each stream message is handed to gRPC. */
  readonly onProgress?: (progress: ImportProgress) => void;
}
