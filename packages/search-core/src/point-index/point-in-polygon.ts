/**
 * Point-in-polygon tests on plain coordinates, with the boundary counted as
 * covered, to answer exactly what PostGIS's `ST_Covers(polygon, point)` does.
 *
 * Coordinates are flat (`x0, y0, x1, y1, ...`, x longitude and y latitude);
 * a ring is the run `[start, end)` of such an array, closed from its last
 * point back to its first: the last point may repeat the first (as WKB
 * stores it; that closing edge then has no length) or not (as the point
 * index stores it, a vertex less a ring). The side of a point against an edge is
 * computed with the same two products PostGIS uses, so a point on an edge is
 * found on it in both places.
 */

/** Where a point lies against a ring or a polygon. */
export type Location = 'outside' | 'boundary' | 'inside';

/** Where (`lng`, `lat`) lies against the ring `coords[start, end)` (winding number, boundary found exactly). */
export function locateInRing(
  coords: ArrayLike<number>,
  start: number,
  end: number,
  lng: number,
  lat: number,
): Location {
  let winding = 0;
  for (let i = start; i < end; i += 2) {
    const j = i + 2 < end ? i + 2 : start; // the edge from point i to the next, the last back to the first
    const x1 = coords[i] as number;
    const y1 = coords[i + 1] as number;
    const x2 = coords[j] as number;
    const y2 = coords[j + 1] as number;
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
  return locateInRings(locateInRing, coords, bounds, first, rings, lng, lat);
}

/**
 * A polygon's location from its rings' (shell first, then holes): outside
 * or on the edge of the shell decides; inside a hole is outside; on the edge
 * of a hole (boundary, or near) decides.
 */
function locateInRings<Edge extends string>(
  locateRing: (coords: ArrayLike<number>, start: number, end: number, x: number, y: number) => Edge,
  coords: ArrayLike<number>,
  bounds: ArrayLike<number>,
  first: number,
  rings: number,
  x: number,
  y: number,
): Edge | 'outside' {
  if (rings === 0) return 'outside';
  const inShell = locateRing(coords, bounds[first] as number, bounds[first + 1] as number, x, y);
  if (inShell !== 'inside') return inShell;
  for (let r = first + 1; r < first + rings; r++) {
    const inHole = locateRing(coords, bounds[r] as number, bounds[r + 1] as number, x, y);
    if (inHole === 'inside') return 'outside';
    if (inHole !== 'outside') return inHole;
  }
  return inShell;
}

/**
 * How a point lies against a polygon stored with integer coordinates (see
 * {@link quantizeFrame}): `near` when it is within {@link NEAR_UNITS} of a
 * ring's edge, where rounding the coordinates could have moved the edge
 * across it; the caller must then ask PostGIS.
 */
export type QuantizedLocation = 'outside' | 'inside' | 'near';

/**
 * In units of the frame: points farther than this from every edge lie on
 * the same side of the stored polygon as of the exact one. A stored vertex
 * is off its exact position by at most 0.5 (rounding) + 0.125 (the
 * subtraction of the origin, see {@link quantizeFrame}) units on each axis,
 * a point taken into the frame by at most 0.25: the exact polygon can be
 * moved onto the stored one without its edges passing over any point more
 * than 0.884 + 0.354 units from the stored edges. 2 leaves a margin.
 */
export const NEAR_UNITS = 2;

/** Where a piece's coordinates are stored: `x = originX + k * 2^exponent` for integer `k`. */
export interface QuantizeFrame {
  readonly originX: number;
  readonly originY: number;
  readonly exponent: number;
}

/**
 * The frame for a piece whose coordinates lie in `[minX, maxX] x [minY,
 * maxY]`: the origin at the box's low corner, and the smallest power-of-two
 * unit that spans the box in at most `steps` units (by default 2^30, so
 * integers fit an Int32 with room to spare) and is at least 2^-50 of the
 * largest coordinate (so that subtracting the origin in floating point errs
 * by at most 1/8 unit). In 2^30 steps, an octagon 0.01° wide gets units of
 * 2^-36° (about 1.6 µm), a 40° piece of a country 2^-24° (about 7 mm); in
 * 2^16 - 1 steps (a Uint16), the octagon gets 2^-22° (about 2.7 cm).
 */
export function quantizeFrame(
  minX: number,
  minY: number,
  maxX: number,
  maxY: number,
  steps = 2 ** 30,
): QuantizeFrame {
  const extent = Math.max(maxX - minX, maxY - minY);
  const magnitude = Math.max(Math.abs(minX), Math.abs(maxX), Math.abs(minY), Math.abs(maxY), 1);
  let exponent = Math.ceil(Math.log2(magnitude)) - 50;
  if (extent > 0) exponent = Math.max(exponent, Math.ceil(Math.log2(extent / steps)));
  // log2 of a float can land a hair off an integer: make both bounds hold exactly.
  while (extent / 2 ** exponent > steps || magnitude > 2 ** (exponent + 50)) exponent++;
  return { originX: minX, originY: minY, exponent };
}

/** Whether the point (`px`, `py`) lies within {@link NEAR_UNITS} of an edge of the ring `coords[start, end)`. */
function nearRing(coords: ArrayLike<number>, start: number, end: number, px: number, py: number): boolean {
  for (let i = start; i < end; i += 2) {
    const j = i + 2 < end ? i + 2 : start;
    const x1 = coords[i] as number;
    const y1 = coords[i + 1] as number;
    const x2 = coords[j] as number;
    const y2 = coords[j + 1] as number;
    if (
      px < Math.min(x1, x2) - NEAR_UNITS ||
      px > Math.max(x1, x2) + NEAR_UNITS ||
      py < Math.min(y1, y2) - NEAR_UNITS ||
      py > Math.max(y1, y2) + NEAR_UNITS
    ) {
      continue;
    }
    // The distance to the segment, through the closest point on it.
    const dx = x2 - x1;
    const dy = y2 - y1;
    const length2 = dx * dx + dy * dy;
    const t = length2 === 0 ? 0 : Math.min(1, Math.max(0, ((px - x1) * dx + (py - y1) * dy) / length2));
    const ex = x1 + t * dx - px;
    const ey = y1 + t * dy - py;
    if (ex * ex + ey * ey <= NEAR_UNITS * NEAR_UNITS) return true;
  }
  return false;
}

/**
 * Where the point (`px`, `py`), already taken into the frame's units, lies
 * against the ring `coords[start, end)` of integers: `near` within
 * {@link NEAR_UNITS} of an edge, else the winding number's answer. The
 * integers are under 2^31 apart, so the edges' dx and dy are exact, and a
 * point farther than that from an edge gets a side whose sign no rounding
 * flips (and never `boundary`).
 */
function locateInQuantizedRing(
  coords: ArrayLike<number>,
  start: number,
  end: number,
  px: number,
  py: number,
): QuantizedLocation {
  if (nearRing(coords, start, end, px, py)) return 'near';
  return locateInRing(coords, start, end, px, py) === 'inside' ? 'inside' : 'outside';
}

/**
 * Where (`lng`, `lat`) lies against a polygon stored in `frame` with integer
 * coordinates, its rings (shell first) `coords[bounds[i], bounds[i + 1])`
 * for i from `first` to `first + rings - 1`. Exact wherever it is not
 * `near`: the same answer as {@link locateInPolygon} on the original
 * coordinates, boundary aside (a point on the boundary is always `near`).
 */
export function locateInQuantizedPolygon(
  coords: ArrayLike<number>,
  bounds: ArrayLike<number>,
  first: number,
  rings: number,
  frame: QuantizeFrame,
  lng: number,
  lat: number,
): QuantizedLocation {
  const unitsPerDegree = 2 ** -frame.exponent;
  const px = (lng - frame.originX) * unitsPerDegree;
  const py = (lat - frame.originY) * unitsPerDegree;
  return locateInRings(locateInQuantizedRing, coords, bounds, first, rings, px, py);
}
