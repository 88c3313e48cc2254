import { type Expression, type RawBuilder, sql } from 'kysely';

/**
 * Typed PostGIS helpers. Every value is a bound parameter; coordinates are
 * named `lng`/`lat` because PostGIS points are (x = longitude, y = latitude).
 */

/** A WGS 84 point, in degrees. */
export interface LngLat {
  readonly lng: number;
  readonly lat: number;
}

/** `ST_SetSRID(ST_MakePoint(lng, lat), 4326)` with both values bound. */
export function stMakePoint(point: LngLat): RawBuilder<unknown> {
  return sql`ST_SetSRID(ST_MakePoint(${point.lng}::float8, ${point.lat}::float8), 4326)`;
}

/** The same point as a `geography`, for distances in metres. */
export function stMakeGeographyPoint(point: LngLat): RawBuilder<unknown> {
  return sql`(${stMakePoint(point)})::geography`;
}

/** True when `geom` covers `point`: points on the boundary count as inside. */
export function stCovers(geom: Expression<unknown>, point: Expression<unknown>): RawBuilder<boolean> {
  return sql<boolean>`ST_Covers(${geom}, ${point})`;
}

/** True when the two geographies are at most `meters` apart (spheroid); a number is bound as a parameter. */
export function stDWithin(
  a: Expression<unknown>,
  b: Expression<unknown>,
  meters: number | Expression<number>,
): RawBuilder<boolean> {
  return sql<boolean>`ST_DWithin(${a}, ${b}, ${meters}::float8)`;
}

/** Distance in metres between two geographies on the WGS 84 spheroid. */
export function stDistanceMeters(a: Expression<unknown>, b: Expression<unknown>): RawBuilder<number> {
  return sql<number>`ST_Distance(${a}, ${b})`;
}

/** A column's geometry viewed as a geography (matches the expression index). */
export function asGeography(geom: Expression<unknown>): RawBuilder<unknown> {
  return sql`(${geom})::geography`;
}

/** The geometry as GeoJSON text, coordinates rounded to 7 decimals (~1 cm). */
export function stAsGeoJson(geom: Expression<unknown>): RawBuilder<string> {
  return sql<string>`ST_AsGeoJSON(${geom}, 7)`;
}

/**
 * A GeoJSON geometry text made into a valid MultiPolygon in SRID 4326:
 * repaired with ST_MakeValid, polygonal parts kept, Polygons promoted.
 * Empty when nothing polygonal survives the repair.
 */
export function multiPolygonFromGeoJson(geojson: Expression<unknown>): RawBuilder<unknown> {
  return sql`ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(${geojson}), 4326)), 3))`;
}
