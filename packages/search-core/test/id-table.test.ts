import { describe, expect, it } from 'vitest';
import { createIdTable } from '../src/point-index/id-table.js';

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A table over a store-like array of ids by slot, checked against a Map after every step. */
function harness(expected = 0) {
  const ids: number[] = [];
  const free: number[] = [];
  const table = createIdTable((slot) => ids[slot] as number, expected);
  const model = new Map<number, number>();
  return {
    table,
    model,
    add(id: number) {
      const slot = free.pop() ?? ids.length;
      ids[slot] = id;
      table.add(id, slot);
      model.set(id, slot);
    },
    remove(id: number) {
      const slot = model.get(id);
      table.delete(id);
      if (slot === undefined) return;
      model.delete(id);
      ids[slot] = -1;
      free.push(slot);
    },
    check(probes: readonly number[]) {
      expect(table.size).toBe(model.size);
      for (const [id, slot] of model) expect(table.get(id)).toBe(slot);
      for (const id of probes) expect(table.get(id)).toBe(model.get(id));
    },
  };
}

describe('id table', () => {
  it.each([
    ['sequential ids', (i: number) => i + 1],
    ['ids past 2^32', (i: number) => 2 ** 32 + i * 3],
    ['ids near 2^53', (i: number) => 2 ** 53 - 1 - i * 2 ** 20],
    ['ids that share their low 32 bits', (i: number) => (i + 1) * 2 ** 32 + 7],
  ])('finds every id it holds and none it does not, through growth and deletions (%s)', (_, idAt) => {
    const h = harness();
    const next = random(11);
    const live: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const id = idAt(i);
      h.add(id);
      live.push(id);
      // Delete about a third as we go, from anywhere in the runs.
      if (next() < 0.35) {
        const k = Math.floor(next() * live.length);
        h.remove(live[k] as number);
        live.splice(k, 1);
      }
      if (i % 997 === 0) h.check([idAt(i + 1), idAt(i + 2), -1, 0.5]);
    }
    h.check([idAt(5000), idAt(5001)]);
    // Empty it in random order, checking as it shrinks; deleting an absent id changes nothing.
    while (live.length > 0) {
      const k = Math.floor(next() * live.length);
      h.remove(live[k] as number);
      h.remove(live[k] as number);
      live.splice(k, 1);
      if (live.length % 500 === 0) h.check([idAt(0)]);
    }
    expect(h.table.size).toBe(0);
  });

  it('is sized ahead for the ids expected, at a load of at most one half', () => {
    const h = harness(100_000);
    const before = h.table.bytes;
    expect(before).toBe(2 ** 18 * 4);
    for (let i = 1; i <= 100_000; i++) h.add(i);
    expect(h.table.bytes).toBe(before);
    h.add(100_001 + 2 ** 40);
    h.check([100_002]);
    // 131,072 ids fill half of 2^18 entries; one more doubles the table.
    for (let i = 100_002; i <= 131_072; i++) h.add(i);
    expect(h.table.size).toBe(131_072);
    expect(h.table.bytes).toBe(before);
    h.add(131_073);
    expect(h.table.bytes).toBe(2 ** 19 * 4);
    h.check([0, 131_074]);
  });

  it('refuses an id it already holds', () => {
    const h = harness();
    h.add(42);
    expect(() => h.table.add(42, 9)).toThrow('id 42 is already held');
    expect(h.table.get(42)).toBe(0);
  });
});
