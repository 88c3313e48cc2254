import { describe, expect, it } from 'vitest';
import { locateInPolygon } from '../src/point-index/point-in-polygon.js';
import {
  createPointStore,
  float32AtLeast,
  float32AtMost,
  type StoredThing,
} from '../src/point-index/point-store.js';
import type { PolygonRings } from '../src/point-index/wkb.js';

/** Where each ring of `rings` starts when laid end to end, and where the last ends. */
function ringBounds(rings: PolygonRings): number[] {
  const bounds = [0];
  for (const ring of rings) bounds.push((bounds.at(-1) as number) + ring.length);
  return bounds;
}

/** Thing `id`: a square of side `size` at (lng, lat), in one piece, or two when `split`. */
function squareThing(id: number, lng: number, lat: number, size: number, split = false): StoredThing {
  const box = (x0: number, x1: number) => [[x0, lat, x1, lat, x1, lat + size, x0, lat + size, x0, lat]];
  return {
    record: {
      id,
      externalId: `e${id}`,
      // Non-ASCII in some names and properties: the store keeps strings as UTF-8.
      name: id % 3 === 0 ? `Square ${id} Zürich 東京 🗺` : `Square ${id}`,
      propertiesJson: JSON.stringify(id % 2 === 0 ? { n: id, note: 'ßé'.repeat(id % 7) } : { n: id }),
      minLng: lng,
      minLat: lat,
      maxLng: lng + size,
      maxLat: lat + size,
      version: 1,
      createdAt: 1_700_000_000_000 + id,
      updatedAt: 1_700_000_000_000 + id,
    },
    pieces: split ? [box(lng, lng + size / 2), box(lng + size / 2, lng + size)] : [box(lng, lng + size)],
  };
}

/** What the store's `get` gives back for `thing`. */
function basicView({ record: r }: StoredThing) {
  return {
    id: r.id,
    externalId: r.externalId,
    name: r.name,
    properties: JSON.parse(r.propertiesJson),
    bbox: { minLng: r.minLng, minLat: r.minLat, maxLng: r.maxLng, maxLat: r.maxLat },
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
    version: r.version,
  };
}

/** Which of `things` cover the point, by their boxes (they are squares; a thing without pieces covers nothing). */
function bruteForce(things: Map<number, StoredThing>, lng: number, lat: number): number[] {
  return [...things.values()]
    .filter(({ pieces }) => pieces.length > 0)
    .filter(({ record: r }) => lng >= r.minLng && lng <= r.maxLng && lat >= r.minLat && lat <= r.maxLat)
    .map((t) => t.record.id)
    .sort((a, b) => a - b);
}

/** The distance from (`lng`, `lat`) to the nearest edge of `rings`, in degrees. */
function distanceToEdges(rings: PolygonRings, lng: number, lat: number): number {
  let nearest = Number.POSITIVE_INFINITY;
  for (const ring of rings) {
    for (let i = 0; i + 3 < ring.length; i += 2) {
      const x1 = ring[i] as number;
      const y1 = ring[i + 1] as number;
      const dx = (ring[i + 2] as number) - x1;
      const dy = (ring[i + 3] as number) - y1;
      const t = Math.min(1, Math.max(0, ((lng - x1) * dx + (lat - y1) * dy) / (dx * dx + dy * dy || 1)));
      nearest = Math.min(nearest, Math.hypot(x1 + t * dx - lng, y1 + t * dy - lat));
    }
  }
  return nearest;
}

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('point store', () => {
  // Grown from empty, or sized ahead as a full load sizes it: exactly, too small, and too large.
  it.each([
    ['grown from empty', undefined],
    ['sized ahead exactly', { things: 700, pieces: 910, rings: 910, vertices: 910 * 4 }],
    ['sized ahead too small', { things: 100, pieces: 100, rings: 100, vertices: 500 }],
    ['sized ahead too large', { things: 50_000, pieces: 60_000, rings: 60_000, vertices: 300_000 }],
  ])(
    'answers like a brute force through puts, replacements, removals, index builds and compactions (%s)',
    (_, capacity) => {
      const store = createPointStore(capacity);
      const held = new Map<number, StoredThing>();
      const next = random(7);
      const check = () => {
        for (let i = 0; i < 300; i++) {
          const lng = next() * 100;
          const lat = next() * 100;
          expect(store.covering(lng, lat)).toEqual(bruteForce(held, lng, lat));
        }
        expect(store.size).toBe(held.size);
        for (const [id, thing] of held) expect(store.get(id)).toEqual(basicView(thing));
      };
      for (let round = 0; round < 6; round++) {
        // Puts (new ids and replacements), some split into two pieces; then removals. Runs of things share
        // their dates (as an import's batch does), others have their own; a few have no pieces.
        for (let i = 0; i < 700; i++) {
          const id = 1 + Math.floor(next() * 1500);
          const square = squareThing(id, next() * 95, next() * 95, 0.5 + next() * 4, next() < 0.3);
          const batch = 1_700_000_000_000 + round * 1000 + Math.floor(i / 50);
          // Every third thing was updated since (the same creation, another update); every 11th has its own.
          const updatedAt = i % 3 === 0 ? batch + id : batch;
          const createdAt = i % 11 === 0 ? batch - id : batch;
          const thing = {
            record: { ...square.record, version: 1 + round, createdAt, updatedAt },
            pieces: i % 97 === 0 ? [] : square.pieces,
          };
          store.put(thing);
          held.set(id, thing);
        }
        check(); // before settle: new pieces are scanned
        store.settle();
        check();
        for (const id of [...held.keys()].filter(() => next() < 0.4)) {
          store.remove(id);
          held.delete(id);
        }
        check();
        store.settle();
        check();
      }
      // Four corners a square: the ring's closing point, a repeat of its first, is not kept.
      const vertices = [...held.values()].reduce((n, t) => n + t.pieces.length * 4, 0);
      expect(store.vertices).toBe(vertices);
    },
  );

  it('keeps external ids and names of any length, across removals and the strings being compacted', () => {
    const store = createPointStore();
    // 16-bit lengths up to 65,534 bytes; from 65,535 (2^16 - 1) on, a length is kept apart.
    const lengths = [0, 1, 2 ** 16 - 2, 2 ** 16 - 1, 2 ** 16, 70_001];
    const held = new Map<number, StoredThing>();
    let id = 0;
    for (const idLength of lengths) {
      for (const nameLength of lengths) {
        const square = squareThing(++id, id, 0, 0.5);
        const thing = {
          ...square,
          record: {
            ...square.record,
            externalId: 'x'.repeat(idLength),
            name: 'é'.repeat(nameLength >> 1) + 'a'.repeat(nameLength & 1),
          },
        };
        store.put(thing);
        held.set(id, thing);
      }
    }
    const check = () => {
      for (const [key, thing] of held) expect(store.get(key)).toEqual(basicView(thing));
    };
    check();
    // Every other thing removed, then put again: their strings die, are compacted away, and come back.
    for (const key of [...held.keys()].filter((k) => k % 2 === 0)) store.remove(key);
    for (const [key, thing] of held) if (key % 2 === 0) store.put(thing);
    store.settle();
    check();
    expect(store.covering(3.25, 0.25)).toEqual([3]);
  });

  it('leaves points on a boundary to the database, and gives back the basic view it was given', () => {
    const store = createPointStore();
    store.put(squareThing(5, 10, 20, 1, true));
    expect(store.covering(10, 20)).toBeUndefined(); // a corner
    expect(store.covering(10.5, 20.5)).toBeUndefined(); // on the cut between the two pieces
    expect(store.covering(10.5 + 1e-8, 20.5)).toEqual([5]); // next to the cut: in one piece, found once
    expect(store.covering(10.000001, 20.000001)).toEqual([5]);
    expect(store.covering(11.000001, 20.5)).toEqual([]);
    expect(store.get(5)).toEqual({
      id: 5,
      externalId: 'e5',
      name: 'Square 5',
      properties: { n: 5 },
      bbox: { minLng: 10, minLat: 20, maxLng: 11, maxLat: 21 },
      createdAt: new Date(1_700_000_000_005),
      updatedAt: new Date(1_700_000_000_005),
      version: 1,
    });
    // The largest version SQL's integer holds, and dates far from now, come back as they went in.
    const last = squareThing(6, 40, 20, 1);
    store.put({
      ...last,
      record: { ...last.record, version: 2 ** 31 - 1, createdAt: -8.64e15, updatedAt: 8.64e15 },
    });
    expect(store.get(6)).toMatchObject({
      version: 2 ** 31 - 1,
      createdAt: new Date(-8.64e15),
      updatedAt: new Date(8.64e15),
    });
    store.remove(6);
    store.remove(5);
    store.settle();
    expect(store.get(5)).toBeUndefined();
    expect(store.covering(10.5, 20.5)).toEqual([]);
    expect(store.vertices).toBe(0);
  });

  it('answers as the exact coordinates do wherever it answers, and leaves only points very near an edge', () => {
    // Irregular polygons with holes, at coordinates float64 holds but no power-of-two grid does.
    const next = random(5);
    const polygons: PolygonRings[] = [];
    const store = createPointStore();
    for (let id = 1; id <= 600; id++) {
      const cx = next() * 340 - 170;
      const cy = next() * 160 - 80;
      const radius = 10 ** (next() * 5 - 4); // 0.0001 to 10 degrees across
      const ring = (r: number, turn: number, points: number) => {
        const coords: number[] = [];
        for (let k = 0; k < points; k++) {
          const angle = (turn * 2 * Math.PI * k) / points;
          const wobble = r * (0.6 + 0.4 * next());
          coords.push(cx + wobble * Math.cos(angle), cy + wobble * Math.sin(angle));
        }
        coords.push(coords[0] as number, coords[1] as number);
        return coords;
      };
      const rings = [ring(radius, 1, 5 + Math.floor(next() * 20))];
      if (id % 3 === 0) rings.push(ring(radius * 0.3, -1, 6));
      polygons[id] = rings;
      store.put({ record: { ...squareThing(id, 0, 0, 1).record }, pieces: [rings] });
    }
    store.settle();
    let left = 0;
    /** Checks the store against the exact test where it answers; false when it leaves the point. */
    const probe = (id: number, lng: number, lat: number): boolean => {
      const rings = polygons[id] as PolygonRings;
      const exact = locateInPolygon(rings.flat(), ringBounds(rings), 0, rings.length, lng, lat);
      const found = store.covering(lng, lat);
      if (found === undefined) {
        left++;
        return false;
      }
      expect(found.includes(id), `thing ${id} at ${lng}, ${lat}: ${exact}`).toBe(exact !== 'outside');
      expect(exact).not.toBe('boundary');
      return true;
    };
    let narrowPieces = 0;
    let farProbes = 0;
    /** Probes thing `id` at a point; one farther than two of its units from its every edge must be answered. */
    const units = polygons.map((rings) => {
      const shell = rings[0] as readonly number[];
      const xs = shell.filter((_, i) => i % 2 === 0);
      const ys = shell.filter((_, i) => i % 2 === 1);
      const width = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
      // Pieces under 0.5° across are stored in 16-bit steps of under 2 / 65535 of their width; larger
      // ones in 32-bit steps of 2^-29 of it at most.
      if (width < 0.5) narrowPieces++;
      return (2 * width) / (width < 0.5 ? 65535 : 2 ** 30);
    });
    const check = (id: number, lng: number, lat: number) => {
      const rings = polygons[id] as PolygonRings;
      const answered = probe(id, lng, lat);
      if (distanceToEdges(rings, lng, lat) > 2.5 * (units[id] as number)) {
        expect(answered, `thing ${id} at ${lng}, ${lat}`).toBe(true);
        farProbes++;
      }
    };
    for (let id = 1; id <= 600; id++) {
      const shell = (polygons[id] as PolygonRings)[0] as readonly number[];
      for (let k = 0; k + 3 < shell.length; k += 2) {
        const [x1, y1, x2, y2] = shell.slice(k, k + 4) as [number, number, number, number];
        check(id, x1, y1); // a vertex: on the boundary
        for (const t of [0.5, next()]) {
          const x = x1 + t * (x2 - x1);
          const y = y1 + t * (y2 - y1);
          // On the edge (as near as float64 gets), and off it on both sides, by a growing share of its length.
          for (const d of [0, 1e-15, 1e-13, 1e-11, 1e-9, 1e-7, 1e-5, 1e-3, 1e-2]) {
            check(id, x + d * (y2 - y1), y - d * (x2 - x1));
            check(id, x - d * (y2 - y1), y + d * (x2 - x1));
          }
        }
      }
    }
    expect(left).toBeGreaterThan(0); // every vertex, for one
    expect(narrowPieces).toBeGreaterThan(100); // both kinds of piece are covered
    expect(narrowPieces).toBeLessThan(500);
    expect(farProbes).toBeGreaterThan(20_000);
    // Random points around the polygons: all answered but those within two units of an edge.
    const before = farProbes;
    for (let i = 0; i < 20_000; i++) {
      const id = 1 + Math.floor(next() * 600);
      const shell = (polygons[id] as PolygonRings)[0] as readonly number[];
      const spread = Math.abs((shell[0] as number) - (shell[4] as number)) * 4;
      const lng = (shell[0] as number) + (next() - 0.5) * spread;
      check(id, lng, (shell[1] as number) + (next() - 0.5) * spread);
    }
    expect(farProbes - before).toBeGreaterThan(19_900);
  });

  it('finds points next to the edges of pieces in its tree, whose float32 boxes are rounded outwards', () => {
    // Coordinates that float32 cannot hold (0.1 and its multiples): rounded to nearest, about half of
    // the boxes would shrink past their own edges, and points just inside those edges would be missed.
    // Pieces 0.6° across, stored in 32-bit steps: the database is asked only within nanodegrees of an edge.
    const store = createPointStore();
    const size = 0.6;
    const corners: [number, number, number][] = [];
    for (let i = 0; i < 700; i++) {
      const lng = -179.9 + (i % 35) * 0.9 + 1e-9 * i;
      const lat = -60.7 + Math.floor(i / 35) * 0.9;
      store.put(squareThing(i + 1, lng, lat, size));
      corners.push([i + 1, lng, lat]);
    }
    store.settle(); // over 512 new pieces: the tree is built
    const inside = 1e-8;
    for (const [id, lng, lat] of corners) {
      expect(store.covering(lng + inside, lat + inside)).toEqual([id]);
      expect(store.covering(lng + size - inside, lat + size - inside)).toEqual([id]);
      expect(store.covering(lng + size / 2, lat + inside)).toEqual([id]);
      expect(store.covering(lng - inside, lat + size / 2)).toEqual([]);
    }
  });

  it('rounds a box outwards to float32 by at most one float32 step', () => {
    const next = random(3);
    const samples = [0, -0, 0.1, -0.1, 1e-300, -1e-300, 179.99999999999997, -180, 2 ** -149, 3.5e38, -3.5e38];
    for (let i = 0; i < 2000; i++) samples.push((next() - 0.5) * 10 ** Math.floor(next() * 12 - 6));
    for (const x of samples) {
      const low = float32AtMost(x);
      const high = float32AtLeast(x);
      expect(Math.fround(low)).toBe(low);
      expect(Math.fround(high)).toBe(high);
      expect(low).toBeLessThanOrEqual(x);
      expect(high).toBeGreaterThanOrEqual(x);
      // Exact when float32 holds x; otherwise the two neighbours of x among float32 values.
      if (Math.fround(x) === x) {
        expect([low, high]).toEqual([x, x]);
      } else {
        // Neighbours: no float32 lies between them (their midpoint rounds to one of them).
        expect(low).toBeLessThan(high);
        expect([low, high]).toContain(Math.fround((low + high) / 2));
      }
    }
  });
});
