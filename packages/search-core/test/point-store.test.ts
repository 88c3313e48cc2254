import { describe, expect, it } from 'vitest';
import {
  createPointStore,
  float32AtLeast,
  float32AtMost,
  type StoredThing,
} from '../src/point-index/point-store.js';

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

/** Which of `things` cover the point, by their boxes (they are squares). */
function bruteForce(things: Map<number, StoredThing>, lng: number, lat: number): number[] {
  return [...things.values()]
    .filter(({ record: r }) => lng >= r.minLng && lng <= r.maxLng && lat >= r.minLat && lat <= r.maxLat)
    .map((t) => t.record.id)
    .sort((a, b) => a - b);
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
    ['sized ahead exactly', { things: 700, pieces: 910, rings: 910, vertices: 910 * 5 }],
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
        for (const [id, thing] of held) {
          const got = store.get(id);
          expect([got?.externalId, got?.name, got?.properties]).toEqual([
            thing.record.externalId,
            thing.record.name,
            JSON.parse(thing.record.propertiesJson),
          ]);
        }
      };
      for (let round = 0; round < 6; round++) {
        // Puts (new ids and replacements), some split into two pieces; then removals.
        for (let i = 0; i < 700; i++) {
          const id = 1 + Math.floor(next() * 1500);
          const thing = squareThing(id, next() * 95, next() * 95, 0.5 + next() * 4, next() < 0.3);
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
      const vertices = [...held.values()].reduce((n, t) => n + t.pieces.length * 5, 0);
      expect(store.vertices).toBe(vertices);
    },
  );

  it('counts the boundary as covered and gives back the basic view it was given', () => {
    const store = createPointStore();
    store.put(squareThing(5, 10, 20, 1, true));
    expect(store.covering(10, 20)).toEqual([5]); // a corner
    expect(store.covering(10.5, 20.5)).toEqual([5]); // on the cut between the two pieces: found once
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
    store.remove(5);
    store.settle();
    expect(store.get(5)).toBeUndefined();
    expect(store.covering(10.5, 20.5)).toEqual([]);
    expect(store.vertices).toBe(0);
  });

  it('finds points on the edges of pieces in its tree, whose float32 boxes are rounded outwards', () => {
    // Coordinates that float32 cannot hold (0.1 and its multiples): rounded to nearest, about half of
    // the boxes would shrink past their own edges, and points on those edges would be missed.
    const store = createPointStore();
    const size = 0.1;
    const corners: [number, number, number][] = [];
    for (let i = 0; i < 700; i++) {
      const lng = -179.9 + (i % 35) * 0.3 + 1e-9 * i;
      const lat = -60.7 + Math.floor(i / 35) * 0.3;
      store.put(squareThing(i + 1, lng, lat, size));
      corners.push([i + 1, lng, lat]);
    }
    store.settle(); // over 512 new pieces: the tree is built
    for (const [id, lng, lat] of corners) {
      expect(store.covering(lng, lat)).toEqual([id]);
      expect(store.covering(lng + size, lat + size)).toEqual([id]);
      expect(store.covering(lng + size / 2, lat)).toEqual([id]);
      expect(store.covering(lng - 1e-12, lat)).toEqual([]);
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
