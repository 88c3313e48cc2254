import { sql } from 'kysely';
import { stAsGeoJson } from './postgis.js';

/** A bounding box in degrees. */
export interface BoundingBox {
  readonly minLng: number;
  readonly minLat: number;
  readonly maxLng: number;
  readonly maxLat: number;
}

/** A stored place, as core returns it. */
export interface Thing {
  readonly id: number;
  readonly externalId: string;
  readonly name: string;
  readonly properties: Record<string, unknown>;
  /** GeoJSON MultiPolygon text; only with the `full` view. */
  readonly geometry?: string;
  readonly bbox: BoundingBox;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

/** The row shape {@link thingColumns} selects. */
export interface ThingRow {
  id: string | number | bigint;
  external_id: string;
  name: string;
  properties: Record<string, unknown> | string;
  min_lng: number;
  min_lat: number;
  max_lng: number;
  max_lat: number;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
  geometry?: string | null;
}

/** The columns of a thing under alias `t`, except its geometry. */
export const thingColumns = [
  't.id',
  't.external_id',
  't.name',
  't.properties',
  't.min_lng',
  't.min_lat',
  't.max_lng',
  't.max_lat',
  't.version',
  't.created_at',
  't.updated_at',
] as const;

/** The geometry of thing `t` as GeoJSON text, aliased `geometry` (the `full` view). */
export const thingGeometry = stAsGeoJson(sql.ref('t.geom')).as('geometry');

const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

/** Maps a database row to a {@link Thing}, normalising driver differences (bigint, json text, dates). */
export function toThing(row: ThingRow): Thing {
  const properties = typeof row.properties === 'string' ? JSON.parse(row.properties) : row.properties;
  const thing: Thing = {
    id: Number(row.id),
    externalId: row.external_id,
    name: row.name,
    properties: properties ?? {},
    bbox: {
      minLng: Number(row.min_lng),
      minLat: Number(row.min_lat),
      maxLng: Number(row.max_lng),
      maxLat: Number(row.max_lat),
    },
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    version: Number(row.version),
  };
  return row.geometry ? { ...thing, geometry: row.geometry } : thing;
}
