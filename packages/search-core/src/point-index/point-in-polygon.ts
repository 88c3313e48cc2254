/**
 * Point-in-polygon tests on plain coordinates, with the boundary counted as
 * covered, to answer exactly what PostGIS's `ST_Covers(polygon, point)` does.
 *
 * Coordinates are flat (`x0, y0, x1, y1, ...`, x longitude and y latitude);
 * a ring is the run `[start, end)` of such an array whose last point repeats
 * its first (as WKB stores it). The side of a point against an edge is
 * computed with the same two products PostGIS uses, so a point on an edge is
 * found on it in both places.
 */

/** Where a point lies against a ring or a polygon. */
export type Location = 'outside' | 'boundary' | 'inside';

/** Where (`lng`, `lat`) lies against the closed ring `coords[start, end)` (winding number, boundary found exactly). */
export function locateInRing(
  coords: ArrayLike<number>,
  start: number,
  end: number,
  lng: number,
  lat: number,
): Location {
  let winding = 0;
  for (let i = start; i + 3 < end; i += 2) {
    const x1 = coords[i] as number;
    const y1 = coords[i + 1] as number;
    const x2 = coords[i + 2] as number;
    const y2 = coords[i + 3] as number;
    const dx = x2 - x1;
    const dy = y2 - y1;
    if (dx * dx + dy * dy < 1e-24) continue; // a zero-length edge decides nothing
    // > 0: the point is left of the edge x1,y1 -> x2,y2; < 0: right; 0: on its line.
    const side = dx * (lat - y1) - (lng - x1) * dy;
    if (
      side === 0 &&
      lng >= Math.min(x1, x2) &&
      lng <= Math.max(x1, x2) &&
      lat >= Math.min(y1, y2) &&
      lat <= Math.max(y1, y2)
    ) {
      return 'boundary';
    }
    if (y1 <= lat) {
      if (y2 > lat && side > 0) winding++;
    } else if (y2 <= lat && side < 0) {
      winding--;
    }
  }
  return winding === 0 ? 'outside' : 'inside';
}

/**
 * Where (`lng`, `lat`) lies against a polygon whose rings (shell first, then
 * holes) are `coords[bounds[i], bounds[i + 1])` for i from `first` to
 * `first + rings - 1`: a hole's inside is outside, its edge is boundary.
 */
export function locateInPolygon(
  coords: ArrayLike<number>,
  bounds: ArrayLike<number>,
  first: number,
  rings: number,
  lng: number,
  lat: number,
): Location {
  if (rings === 0) return 'outside';
  const inShell = locateInRing(coords, bounds[first] as number, bounds[first + 1] as number, lng, lat);
  if (inShell !== 'inside') return inShell;
  for (let r = first + 1; r < first + rings; r++) {
    const inHole = locateInRing(coords, bounds[r] as number, bounds[r + 1] as number, lng, lat);
    if (inHole === 'inside') return 'outside';
    if (inHole === 'boundary') return 'boundary';
  }
  return 'inside';
}
