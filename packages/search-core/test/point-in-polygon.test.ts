import { describe, expect, it } from 'vitest';
import {
  type Location,
  locateInPolygon as locateIn,
  locateInRing as locateInRun,
  quantizeFrame,
} from '../src/point-index/point-in-polygon.js';
import { polygonsFromWkb } from '../src/point-index/wkb.js';

/** The ring as a whole array. */
const locateInRing = (ring: readonly number[], lng: number, lat: number): Location =>
  locateInRun(ring, 0, ring.length, lng, lat);

/** The rings laid end to end, as the store keeps them. */
function locateInPolygon(rings: readonly (readonly number[])[], lng: number, lat: number): Location {
  const coords = rings.flat();
  const bounds = [0];
  for (const ring of rings) bounds.push((bounds.at(-1) as number) + ring.length);
  return locateIn(coords, bounds, 0, rings.length, lng, lat);
}
const polygonCovers = (rings: readonly (readonly number[])[], lng: number, lat: number) =>
  locateInPolygon(rings, lng, lat) !== 'outside';

// A 10 x 10 square with a 2 x 2 hole in its middle (counter-clockwise shell, clockwise hole).
const shell = [0, 0, 10, 0, 10, 10, 0, 10, 0, 0];
const hole = [4, 4, 4, 6, 6, 6, 6, 4, 4, 4];

describe('point in polygon', () => {
  it('tells inside, outside and boundary of a ring, whatever its winding', () => {
    const clockwise = [0, 0, 0, 10, 10, 10, 10, 0, 0, 0];
    for (const ring of [shell, clockwise]) {
      expect(locateInRing(ring, 5, 5)).toBe('inside');
      expect(locateInRing(ring, 11, 5)).toBe('outside');
      expect(locateInRing(ring, -0.000001, 5)).toBe('outside');
      expect(locateInRing(ring, 10, 5)).toBe('boundary'); // on an edge
      expect(locateInRing(ring, 10, 10)).toBe('boundary'); // on a vertex
      expect(locateInRing(ring, 5, 0)).toBe('boundary');
      expect(locateInRing(ring, 11, 0)).toBe('outside'); // on the edge's line, past its end
    }
  });

  it('closes a ring without its repeated first point the same way', () => {
    // The point index stores rings without the closing point; the edge back to the first is implied.
    const c = [0, 0, 10, 0, 10, 3, 3, 3, 3, 7, 10, 7, 10, 10, 0, 10, 0, 0];
    let seed = 4;
    const next = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const probes: [number, number][] = [
      [0, 5], // on the closing edge
      [0, 0],
      [-0.5, 5],
      [0.5, 5],
    ];
    for (let i = 0; i < 2000; i++)
      probes.push([Math.round(next() * 24 - 12) / 2, Math.round(next() * 24 - 12) / 2]);
    for (const ring of [shell, hole, c]) {
      for (const [x, y] of probes) {
        expect(locateInRun(ring, 0, ring.length - 2, x, y), `${x}, ${y}`).toBe(locateInRing(ring, x, y));
      }
    }
    expect(locateInRun(shell, 0, shell.length - 2, 0, 5)).toBe('boundary');
  });

  it('counts a hole as outside and its edge as boundary', () => {
    const rings = [shell, hole];
    expect(locateInPolygon(rings, 5, 5)).toBe('outside');
    expect(locateInPolygon(rings, 4, 5)).toBe('boundary');
    expect(locateInPolygon(rings, 6, 6)).toBe('boundary');
    expect(locateInPolygon(rings, 3, 5)).toBe('inside');
    expect(polygonCovers(rings, 4, 5)).toBe(true);
    expect(polygonCovers(rings, 5, 5)).toBe(false);
    expect(polygonCovers([], 5, 5)).toBe(false);
  });

  it('handles concave rings and points level with a vertex', () => {
    // A "C" shape open to the right, its mouth between y = 3 and y = 7.
    const c = [0, 0, 10, 0, 10, 3, 3, 3, 3, 7, 10, 7, 10, 10, 0, 10, 0, 0];
    expect(locateInRing(c, 5, 5)).toBe('outside');
    expect(locateInRing(c, 2, 5)).toBe('inside');
    expect(locateInRing(c, 5, 3)).toBe('boundary');
    expect(locateInRing(c, 5, 2)).toBe('inside');
    expect(locateInRing(c, 3, 7)).toBe('boundary');
    // Level with a vertex: the ray from (1, 3) grazes (3, 3) and (10, 3).
    expect(locateInRing(c, 1, 3)).toBe('inside');
  });
});

/** WKB of a polygon (type 3) or a multipolygon of polygons (type 6), in either byte order. */
function wkb(polygons: number[][][], little: boolean, multi: boolean): Uint8Array {
  const bytes: Uint8Array[] = [];
  const u32 = (n: number) => {
    const b = new DataView(new ArrayBuffer(4));
    b.setUint32(0, n, little);
    bytes.push(new Uint8Array(b.buffer));
  };
  const f64 = (n: number) => {
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, n, little);
    bytes.push(new Uint8Array(b.buffer));
  };
  const header = (type: number) => {
    bytes.push(Uint8Array.of(little ? 1 : 0));
    u32(type);
  };
  const polygon = (rings: number[][]) => {
    header(3);
    u32(rings.length);
    for (const ring of rings) {
      u32(ring.length / 2);
      for (const v of ring) f64(v);
    }
  };
  if (multi) {
    header(6);
    u32(polygons.length);
    for (const p of polygons) polygon(p);
  } else {
    polygon(polygons[0] ?? []);
  }
  return Uint8Array.from(bytes.flatMap((b) => [...b]));
}

describe('WKB polygons', () => {
  it('reads polygons and multipolygons in both byte orders', () => {
    for (const little of [true, false]) {
      expect(polygonsFromWkb(wkb([[shell, hole]], little, false))).toEqual([[shell, hole]]);
      expect(polygonsFromWkb(wkb([[shell], [hole]], little, true))).toEqual([[shell], [hole]]);
    }
  });

  it('reads from a view into a larger buffer', () => {
    const bytes = wkb([[shell]], true, false);
    const padded = new Uint8Array(bytes.length + 7);
    padded.set(bytes, 3);
    expect(polygonsFromWkb(padded.subarray(3, 3 + bytes.length))).toEqual([[shell]]);
  });

  it('refuses other geometry types, truncated input and trailing bytes', () => {
    const point = Uint8Array.from([1, 1, 0, 0, 0, ...new Array(16).fill(0)]);
    expect(() => polygonsFromWkb(point)).toThrow(/geometry type 1 is not/);
    const polygon = wkb([[shell]], true, false);
    expect(() => polygonsFromWkb(polygon.subarray(0, polygon.length - 3))).toThrow(/ends at byte/);
    expect(() => polygonsFromWkb(Uint8Array.from([...polygon, 0]))).toThrow(/1 bytes after/);
    expect(() => polygonsFromWkb(Uint8Array.from([2, ...polygon.subarray(1)]))).toThrow(/byte order 2/);
  });

  it.each([
    ['2^30', 2 ** 30],
    ['2^16 - 1', 2 ** 16 - 1],
  ])(
    'picks the finest power-of-two unit that spans a piece in %s steps and errs under 1/8 of it',
    (_, steps) => {
      // The figures its comment gives: an octagon 0.01 degrees wide, a 40-degree piece of a country.
      expect(quantizeFrame(100, 10, 100.01, 10.01, steps).exponent).toBe(steps === 2 ** 30 ? -36 : -22);
      expect(quantizeFrame(-20, 30, 20, 60).exponent).toBe(-24);
      expect(quantizeFrame(5, 5, 5, 5, steps).exponent).toBe(-47); // a single point: bound by its magnitude only
      let seed = 9;
      const next = () => {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        return seed / 2 ** 32;
      };
      for (let i = 0; i < 5000; i++) {
        const minX = next() * 360 - 180;
        const minY = next() * 180 - 90;
        const width = 10 ** (next() * 14 - 12);
        const frame = quantizeFrame(minX, minY, minX + width, minY + width * next(), steps);
        const unit = 2 ** frame.exponent;
        const magnitude = Math.max(Math.abs(minX), Math.abs(minX + width), Math.abs(minY), 1);
        expect(width / unit).toBeLessThanOrEqual(steps);
        expect(magnitude).toBeLessThanOrEqual(unit * 2 ** 50);
        // Finest: half the unit breaks one of the two bounds.
        expect(width / (unit / 2) > steps || magnitude > (unit / 2) * 2 ** 50).toBe(true);
        expect([frame.originX, frame.originY]).toEqual([minX, minY]);
      }
    },
  );
});
