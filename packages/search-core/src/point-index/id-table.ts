/**
 * Slots by thing id, for {@link createPointStore}: an open-addressing hash
 * table with linear probing over one Int32Array, holding slot + 1 (0: empty).
 * The ids are not stored again: a probe compares the id asked for with
 * `idOf(slot)`, the store's own array of ids.
 *
 * A `Map` of a million ids took about 36 MB of V8's heap (3.6 MB at 100k,
 * one large object); this takes 4 bytes per entry at a load of at most one
 * half (8 MB at a million, 1 MB at 100k), outside the heap.
 */
export interface IdTable {
  /** The slot of `id`, if held. */
  get(id: number): number | undefined;
  /** Holds `slot` for `id`; `id` must not be held (the store removes a thing before it puts it again). */
  add(id: number, slot: number): void;
  /** Forgets `id`, if held. */
  delete(id: number): void;
  /** How many ids are held. */
  readonly size: number;
  /** Bytes of its table. */
  readonly bytes: number;
}

const MIN_CAPACITY = 16;

/** The smallest power of two that holds `count` entries at a load of at most one half. */
function capacityFor(count: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity < count * 2) capacity *= 2;
  return capacity;
}

/**
 * An empty table sized for `expected` ids. `idOf(slot)` must return the id
 * given with `slot` to {@link IdTable.add} for as long as the slot is held.
 * Ids are non-negative integers below 2^53 (PostgreSQL's bigserial, as
 * JavaScript numbers).
 */
export function createIdTable(idOf: (slot: number) => number, expected = 0): IdTable {
  let table = new Int32Array(capacityFor(expected));
  let mask = table.length - 1;
  let shift = 32 - Math.log2(table.length);
  let size = 0;

  /** Fibonacci hashing of the id's two 32-bit halves (sequential ids spread over the table). */
  const home = (id: number) => Math.imul((id >>> 0) ^ Math.floor(id / 2 ** 32), 0x9e3779b1) >>> shift;

  /** The index holding `id`, or the empty index where it would go. */
  function find(id: number): number {
    let i = home(id);
    for (let entry = table[i] as number; entry !== 0; entry = table[i] as number) {
      if (idOf(entry - 1) === id) return i;
      i = (i + 1) & mask;
    }
    return i;
  }

  function grow(): void {
    const old = table;
    table = new Int32Array(old.length * 2);
    mask = table.length - 1;
    shift -= 1;
    for (const entry of old) if (entry !== 0) table[find(idOf(entry - 1))] = entry;
  }

  return {
    get(id) {
      const entry = table[find(id)] as number;
      return entry === 0 ? undefined : entry - 1;
    },
    add(id, slot) {
      if ((size + 1) * 2 > table.length) grow();
      const i = find(id);
      if (table[i] !== 0) throw new Error(`id ${id} is already held`);
      table[i] = slot + 1;
      size++;
    },
    delete(id) {
      let i = find(id);
      if (table[i] === 0) return;
      size--;
      // Backward-shift deletion: later entries of the run that may sit at `i` move up, so that no
      // probe stops early at the hole and no tombstones pile up.
      for (let j = (i + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
        const k = home(idOf((table[j] as number) - 1));
        // The entry at j stays when its home lies cyclically in (i, j].
        const stays = i <= j ? i < k && k <= j : i < k || k <= j;
        if (stays) continue;
        table[i] = table[j] as number;
        i = j;
      }
      table[i] = 0;
    },
    get size() {
      return size;
    },
    get bytes() {
      return table.byteLength;
    },
  };
}
