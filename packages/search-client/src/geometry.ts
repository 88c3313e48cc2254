import type { Thing } from './results.js';

/** A GeoJSON MultiPolygon geometry object (RFC 7946): polygons of rings of [lng, lat] positions. */
export interface MultiPolygonGeometry {
  readonly type: 'MultiPolygon';
  readonly coordinates: readonly (readonly (readonly (readonly number[])[])[])[];
}

/**
 * The thing's footprint as an object, parsed from `geometryGeojson` on
 * demand (results keep it as text, since most callers never need it);
 * undefined when the call did not ask for the `full` view.
 */
export function parseGeometry(thing: Pick<Thing, 'geometryGeojson'>): MultiPolygonGeometry | undefined {
  return thing.geometryGeojson === undefined
    ? undefined
    : (JSON.parse(thing.geometryGeojson) as MultiPolygonGeometry);
}
